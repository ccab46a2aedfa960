// SPDX-License-Identifier: Apache-2.0
// Minimum-cost assignment of tracks to detections with a cost limit: what ByteTrack gets from lapjv's
// `cost_limit`. Only listed pairs may be matched; leaving a row or a column alone costs limit/2, so a pair
// is used only where it beats leaving both alone, and the sum over pairs and lone rows and columns is
// minimal. The candidates are split into connected components first (IoU costs are sparse: a box overlaps
// few others), each solved exactly by the Hungarian method with potentials (Kuhn-Munkres / Jonker-Volgenant
// shortest augmenting paths). A component wider than kMaxOptimalSide on both sides (hundreds of boxes all
// overlapping one another) is matched greedily by cost instead, so that one frame never costs seconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace owl::tracking {

/** A pair that may be matched, with its cost (lower is better). */
struct Candidate {
  uint32_t row;
  uint32_t col;
  double cost;
};

/** A matched pair. */
struct Match {
  uint32_t row;
  uint32_t col;
};

/** Components larger than this on both sides are matched greedily (see the file comment). */
inline constexpr std::size_t kMaxOptimalSide = 128;

/**
 * Solves assignments, reusing its buffers between calls (no allocation once they have grown).
 * Not thread-safe: one per tracker.
 */
class Assigner {
 public:
  /**
   * [sync] The optimal matching of rows 0..rows-1 to cols 0..cols-1 among `candidates` (each row and col at
   * most once; candidates with cost > limit are ignored). Returns the pairs, sorted by row.
   */
  const std::vector<Match>& Solve(std::size_t rows, std::size_t cols, const std::vector<Candidate>& candidates,
                                  double limit);

 private:
  std::size_t Find(std::size_t node);
  void SolveComponent(const std::vector<uint32_t>& candidate_ids, const std::vector<Candidate>& candidates,
                      double limit);
  void SolveGreedy(const std::vector<uint32_t>& candidate_ids, const std::vector<Candidate>& candidates);

  std::vector<Match> matches_;
  std::vector<std::size_t> parent_;            // union-find over rows, then cols
  std::vector<std::vector<uint32_t>> groups_;  // candidate ids per component root
  std::vector<int32_t> local_row_, local_col_;  // global -> index within the component, -1 if absent
  std::vector<uint32_t> rows_, cols_;           // component's global rows / cols
  std::vector<double> cost_;                    // component's dense matrix (forbidden pairs: 1)
  std::vector<double> u_, v_, min_slack_;
  std::vector<std::size_t> owner_, way_;
  std::vector<char> used_;
  std::vector<char> row_taken_, col_taken_;
};

}  // namespace owl::tracking
