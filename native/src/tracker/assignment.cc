// SPDX-License-Identifier: Apache-2.0
#include "tracker/assignment.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace owl::tracking {

std::size_t Assigner::Find(std::size_t node) {
  while (parent_[node] != node) {
    parent_[node] = parent_[parent_[node]];
    node = parent_[node];
  }
  return node;
}

const std::vector<Match>& Assigner::Solve(std::size_t rows, std::size_t cols, const std::vector<Candidate>& candidates,
                                          double limit) {
  matches_.clear();
  if (rows == 0 || cols == 0 || candidates.empty()) return matches_;
  parent_.resize(rows + cols);
  std::iota(parent_.begin(), parent_.end(), std::size_t{0});
  for (const Candidate& c : candidates) {
    if (c.cost > limit) continue;
    const std::size_t a = Find(c.row);
    const std::size_t b = Find(rows + c.col);
    if (a != b) parent_[a] = b;
  }
  if (groups_.size() < rows + cols) groups_.resize(rows + cols);
  for (std::size_t i = 0; i < rows + cols; ++i) groups_[i].clear();
  for (uint32_t id = 0; id < candidates.size(); ++id) {
    if (candidates[id].cost <= limit) groups_[Find(candidates[id].row)].push_back(id);
  }
  local_row_.assign(rows, -1);
  local_col_.assign(cols, -1);
  for (std::size_t root = 0; root < rows + cols; ++root) {
    if (!groups_[root].empty()) SolveComponent(groups_[root], candidates, limit);
  }
  std::sort(matches_.begin(), matches_.end(), [](const Match& a, const Match& b) { return a.row < b.row; });
  return matches_;
}

void Assigner::SolveGreedy(const std::vector<uint32_t>& candidate_ids, const std::vector<Candidate>& candidates) {
  std::vector<uint32_t> order(candidate_ids);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return candidates[a].cost < candidates[b].cost; });
  row_taken_.assign(rows_.size(), 0);
  col_taken_.assign(cols_.size(), 0);
  for (uint32_t id : order) {
    const Candidate& c = candidates[id];
    const int32_t r = local_row_[c.row];
    const int32_t k = local_col_[c.col];
    if (row_taken_[r] || col_taken_[k]) continue;
    row_taken_[r] = col_taken_[k] = 1;
    matches_.push_back({c.row, c.col});
  }
}

void Assigner::SolveComponent(const std::vector<uint32_t>& candidate_ids, const std::vector<Candidate>& candidates,
                              double limit) {
  rows_.clear();
  cols_.clear();
  for (uint32_t id : candidate_ids) {
    const Candidate& c = candidates[id];
    if (local_row_[c.row] < 0) {
      local_row_[c.row] = static_cast<int32_t>(rows_.size());
      rows_.push_back(c.row);
    }
    if (local_col_[c.col] < 0) {
      local_col_[c.col] = static_cast<int32_t>(cols_.size());
      cols_.push_back(c.col);
    }
  }
  if (candidate_ids.size() == 1) {  // the common case: an isolated pair
    matches_.push_back({rows_[0], cols_[0]});
  } else if (std::min(rows_.size(), cols_.size()) > kMaxOptimalSide) {
    SolveGreedy(candidate_ids, candidates);
  } else {
    // The smaller side becomes the Hungarian's rows; every row also gets a "stay alone" column of cost 0, and
    // pairs cost (cost - limit) <= 0: minimising this is the limit/2-per-lone-row-and-column objective (the
    // lone costs are a constant minus limit per pair). Forbidden pairs cost 1: a free dummy always beats them.
    const bool transpose = rows_.size() > cols_.size();
    const std::size_t n = transpose ? cols_.size() : rows_.size();
    const std::size_t real = transpose ? rows_.size() : cols_.size();
    const std::size_t m = real + n;
    cost_.assign(n * real, 1.0);
    for (uint32_t id : candidate_ids) {
      const Candidate& c = candidates[id];
      const std::size_t r = local_row_[c.row];
      const std::size_t k = local_col_[c.col];
      double& cell = transpose ? cost_[k * real + r] : cost_[r * real + k];
      cell = std::min(cell, c.cost - limit);
    }
    auto cost = [&](std::size_t i, std::size_t j) { return j <= real ? cost_[(i - 1) * real + (j - 1)] : 0.0; };
    // Shortest augmenting paths with row/column potentials (1-based; column 0 is the virtual start).
    constexpr double kInf = std::numeric_limits<double>::infinity();
    u_.assign(n + 1, 0.0);
    v_.assign(m + 1, 0.0);
    owner_.assign(m + 1, 0);
    way_.assign(m + 1, 0);
    for (std::size_t i = 1; i <= n; ++i) {
      owner_[0] = i;
      std::size_t j0 = 0;
      min_slack_.assign(m + 1, kInf);
      used_.assign(m + 1, 0);
      do {
        used_[j0] = 1;
        const std::size_t i0 = owner_[j0];
        double delta = kInf;
        std::size_t j1 = 0;
        for (std::size_t j = 1; j <= m; ++j) {
          if (used_[j]) continue;
          const double slack = cost(i0, j) - u_[i0] - v_[j];
          if (slack < min_slack_[j]) {
            min_slack_[j] = slack;
            way_[j] = j0;
          }
          if (min_slack_[j] < delta) {
            delta = min_slack_[j];
            j1 = j;
          }
        }
        for (std::size_t j = 0; j <= m; ++j) {
          if (used_[j]) {
            u_[owner_[j]] += delta;
            v_[j] -= delta;
          } else {
            min_slack_[j] -= delta;
          }
        }
        j0 = j1;
      } while (owner_[j0] != 0);
      do {
        const std::size_t j1 = way_[j0];
        owner_[j0] = owner_[j1];
        j0 = j1;
      } while (j0 != 0);
    }
    for (std::size_t j = 1; j <= real; ++j) {
      const std::size_t i = owner_[j];
      if (i == 0 || cost(i, j) > 0.0) continue;  // column alone, or a forbidden pair (never optimal)
      const uint32_t row = transpose ? rows_[j - 1] : rows_[i - 1];
      const uint32_t col = transpose ? cols_[i - 1] : cols_[j - 1];
      matches_.push_back({row, col});
    }
  }
  for (uint32_t row : rows_) local_row_[row] = -1;
  for (uint32_t col : cols_) local_col_[col] = -1;
}

}  // namespace owl::tracking
