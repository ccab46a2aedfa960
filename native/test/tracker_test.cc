// SPDX-License-Identifier: Apache-2.0
// Test-only: the tracker core (native/src/tracker) on hand-made sequences with known answers, without Node or
// GStreamer. `owl_tracker_test --list` prints the case names; `owl_tracker_test <name>` runs one and exits 1
// with the failed checks on stderr (test/tracker.test.ts runs every case as its own test).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tracker/assignment.h"
#include "tracker/tracker.h"

using owl::tracking::Assigner;
using owl::tracking::Box;
using owl::tracking::Candidate;
using owl::tracking::Detection;
using owl::tracking::Match;
using owl::tracking::ScoreThresholds;
using owl::tracking::Tracker;
using owl::tracking::TrackerOptions;
using owl::tracking::TrackView;
using owl::tracking::UpdateResult;

namespace {

int failures = 0;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                    \
    }                                                                                \
  } while (0)

#define CHECK_EQ(a, b)                                                                              \
  do {                                                                                              \
    const auto va = (a);                                                                            \
    const auto vb = (b);                                                                            \
    if (!(va == vb)) {                                                                              \
      std::ostringstream text;                                                                      \
      text << __FILE__ << ":" << __LINE__ << ": CHECK_EQ(" #a ", " #b ") failed: " << va << " != " << vb; \
      std::fprintf(stderr, "%s\n", text.str().c_str());                                             \
      ++failures;                                                                                   \
    }                                                                                               \
  } while (0)

#define CHECK_NEAR(a, b, tolerance)                                                                   \
  do {                                                                                                \
    const double va = (a);                                                                            \
    const double vb = (b);                                                                            \
    if (!(std::fabs(va - vb) <= (tolerance))) {                                                       \
      std::fprintf(stderr, "%s:%d: CHECK_NEAR(%s, %s) failed: %g vs %g (tolerance %g)\n", __FILE__, __LINE__, \
                   #a, #b, va, vb, static_cast<double>(tolerance));                                   \
      ++failures;                                                                                     \
    }                                                                                                 \
  } while (0)

// Fails the check when body does not throw std::invalid_argument with `expected` in its message.
#define CHECK_THROWS(body, expected)                                                                       \
  do {                                                                                                     \
    std::string message;                                                                                   \
    try {                                                                                                  \
      body;                                                                                                \
    } catch (const std::invalid_argument& e) {                                                             \
      message = e.what();                                                                                  \
    }                                                                                                      \
    if (message.find(expected) == std::string::npos) {                                                     \
      std::fprintf(stderr, "%s:%d: expected an error with \"%s\", got \"%s\"\n", __FILE__, __LINE__, expected, \
                   message.c_str());                                                                       \
      ++failures;                                                                                          \
    }                                                                                                      \
  } while (0)

Detection Det(float cx, float cy, float w, float h, float score = 0.9f, int32_t label = 0) {
  return {label, score, {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}};
}

float CentreX(const Box& b) { return 0.5f * (b.x0 + b.x1); }
float CentreY(const Box& b) { return 0.5f * (b.y0 + b.y1); }

// Runs one frame and returns its per-detection ids.
std::vector<uint64_t> Step(Tracker& tracker, int64_t ms, const std::vector<Detection>& dets, UpdateResult* out = nullptr) {
  UpdateResult local;
  UpdateResult* result = out != nullptr ? out : &local;
  tracker.Update(ms, dets.data(), dets.size(), result);
  return result->track_ids;
}

// --- assignment ---------------------------------------------------------------------------------

void AssignmentIsOptimalNotGreedy() {
  // Greedy takes (0,0) at 0.1 and leaves row 1 alone: 0.1 + 2 lone (0.4 each) = 0.9. Optimal: (0,1) + (1,0) = 0.5.
  Assigner assigner;
  const std::vector<Candidate> c = {{0, 0, 0.1}, {0, 1, 0.2}, {1, 0, 0.3}};
  const std::vector<Match>& m = assigner.Solve(2, 2, c, 0.8);
  CHECK_EQ(m.size(), 2u);
  if (m.size() == 2) {
    CHECK_EQ(m[0].col, 1u);
    CHECK_EQ(m[1].col, 0u);
  }
}

void AssignmentLeavesBadPairsAlone() {
  // Limit 0.7 (0.35 per row or column left alone): one good pair (0.05 + 2 * 0.35 = 0.75) beats two pairs at
  // the limit (1.4)...
  Assigner assigner;
  const std::vector<Match>& one = assigner.Solve(2, 2, {{0, 0, 0.05}, {0, 1, 0.7}, {1, 0, 0.7}}, 0.7);
  CHECK_EQ(one.size(), 1u);
  if (one.size() == 1) CHECK(one[0].row == 0 && one[0].col == 0);
  // ... and two fair pairs (0.7) beat one better pair and two left alone (0.3 + 2 * 0.4 = 1.1) at limit 0.8.
  CHECK_EQ(assigner.Solve(2, 2, {{0, 0, 0.3}, {0, 1, 0.35}, {1, 0, 0.35}}, 0.8).size(), 2u);
  // Pairs above the limit are never used.
  CHECK_EQ(assigner.Solve(1, 1, {{0, 0, 0.9}}, 0.8).size(), 0u);
  CHECK_EQ(assigner.Solve(0, 3, {}, 0.8).size(), 0u);
}

void AssignmentMatchesBruteForce() {
  // Random sparse problems against exhaustive search of the same objective.
  unsigned seed = 12345;
  auto rnd = [&seed]() { seed = seed * 1103515245u + 12345u; return ((seed >> 8) & 0xffff) / 65536.0; };
  Assigner assigner;
  for (int round = 0; round < 300; ++round) {
    const std::size_t rows = 1 + static_cast<std::size_t>(rnd() * 6);
    const std::size_t cols = 1 + static_cast<std::size_t>(rnd() * 6);
    const double limit = 0.8;
    std::vector<Candidate> c;
    std::vector<double> cost(rows * cols, -1.0);
    for (uint32_t r = 0; r < rows; ++r) {
      for (uint32_t k = 0; k < cols; ++k) {
        if (rnd() < 0.5) continue;
        cost[r * cols + k] = rnd();
        c.push_back({r, k, cost[r * cols + k]});
      }
    }
    // Exhaustive: each row picks a column or none.
    double best = 1e9;
    std::vector<int> pick(rows, -1);
    std::function<void(std::size_t, std::vector<char>&, double, std::size_t)> search =
        [&](std::size_t r, std::vector<char>& used, double sum, std::size_t matched) {
          if (r == rows) {
            best = std::min(best, sum + (rows + cols - 2 * matched) * limit / 2);
            return;
          }
          search(r + 1, used, sum, matched);
          for (std::size_t k = 0; k < cols; ++k) {
            const double v = cost[r * cols + k];
            if (used[k] || v < 0 || v > limit) continue;
            used[k] = 1;
            search(r + 1, used, sum + v, matched + 1);
            used[k] = 0;
          }
        };
    std::vector<char> used(cols, 0);
    search(0, used, 0.0, 0);
    const std::vector<Match>& m = assigner.Solve(rows, cols, c, limit);
    double total = (rows + cols - 2 * m.size()) * limit / 2;
    std::set<uint32_t> rows_seen, cols_seen;
    for (const Match& p : m) {
      total += cost[p.row * cols + p.col];
      CHECK(cost[p.row * cols + p.col] >= 0);
      CHECK(rows_seen.insert(p.row).second);
      CHECK(cols_seen.insert(p.col).second);
    }
    CHECK_NEAR(total, best, 1e-9);
  }
}

// --- tracker ------------------------------------------------------------------------------------

void ConfirmsAfterMinHitsAndFollows() {
  TrackerOptions options;
  options.min_hits = 3;
  Tracker tracker(options);
  // One object moving right at 100 px/s, a frame every 200 ms.
  std::vector<uint64_t> ids;
  for (int i = 0; i < 10; ++i) {
    const std::vector<uint64_t> got = Step(tracker, i * 200, {Det(100 + 20.0f * i, 200, 40, 100)});
    ids.push_back(got[0]);
  }
  CHECK_EQ(ids[0], 0u);
  CHECK_EQ(ids[1], 0u);
  for (int i = 2; i < 10; ++i) CHECK_EQ(ids[i], 1u);
}

void PredictExtrapolatesByTime() {
  Tracker tracker(TrackerOptions{});
  std::vector<TrackView> out;
  tracker.Predict(0, &out);
  CHECK(out.empty());
  // 100 px/s to the right, 50 px/s down; frames 100 ms apart.
  for (int i = 0; i <= 20; ++i) Step(tracker, 1000 + i * 100, {Det(100 + 10.0f * i, 100 + 5.0f * i, 40, 100)});
  // Last frame at 3000 ms, centre (300, 200). Half a second later: (350, 225).
  out.reserve(8);
  tracker.Predict(3500, &out);
  CHECK_EQ(out.size(), 1u);
  if (out.size() == 1) {
    CHECK_EQ(out[0].id, 1u);
    CHECK_EQ(out[0].detection, -1);
    CHECK_EQ(out[0].last_match_ms, 3000);
    CHECK_NEAR(CentreX(out[0].box), 350, 3);
    CHECK_NEAR(CentreY(out[0].box), 225, 3);
    CHECK_NEAR(out[0].box.x1 - out[0].box.x0, 40, 1);
  }
  // Between two frames too (the video thread draws ahead of and behind the model).
  tracker.Predict(2950, &out);
  if (out.size() == 1) CHECK_NEAR(CentreX(out[0].box), 295, 2);
  // Predict changes nothing: the next frame is matched as if it had not been called.
  CHECK_EQ(Step(tracker, 3100, {Det(310, 205, 40, 100)})[0], 1u);
}

void EmptyFramesAndDeathAfterBuffer() {
  TrackerOptions options;
  options.buffer_ms = 1000;
  Tracker tracker(options);
  UpdateResult r;
  Step(tracker, 0, {}, &r);
  CHECK(r.track_ids.empty() && r.tracks.empty());
  Step(tracker, 100, {Det(100, 100, 50, 50)});
  Step(tracker, 200, {Det(100, 100, 50, 50)});
  Step(tracker, 700, {}, &r);
  CHECK_EQ(r.tracks.size(), 1u);  // lost 500 ms: still alive
  if (r.tracks.size() == 1) CHECK_EQ(r.tracks[0].detection, -1);
  Step(tracker, 1200, {}, &r);
  CHECK_EQ(r.tracks.size(), 1u);  // exactly the buffer: still alive
  Step(tracker, 1201, {}, &r);
  CHECK(r.tracks.empty());
  CHECK_EQ(tracker.TrackCount(), 0u);
}

void CrossingPathsKeepIds() {
  // Two people of one label walk towards each other on (nearly) one line and cross; frames at 10 fps. Their
  // boxes overlap fully at the crossing; the filter's velocities tell them apart.
  for (float offset : {0.0f, 15.0f}) {
    Tracker tracker(TrackerOptions{});
    uint64_t right_id = 0;
    uint64_t left_id = 0;
    for (int i = 0; i <= 40; ++i) {
      const float a = 200 + 10.0f * i;  // moving right
      const float b = 600 - 10.0f * i;  // moving left; they meet at i = 20
      const std::vector<uint64_t> ids = Step(tracker, i * 100, {Det(a, 300, 40, 100, 0.9f), Det(b, 300 + offset, 40, 100, 0.8f)});
      if (i == 5) {
        right_id = ids[0];
        left_id = ids[1];
      }
      if (i > 5) {
        CHECK_EQ(ids[0], right_id);
        CHECK_EQ(ids[1], left_id);
      }
    }
    CHECK(right_id != 0 && left_id != 0 && right_id != left_id);
  }
}

void CrossingWithOcclusionKeepsIds() {
  // The same crossing at 5 fps where the one behind is partly hidden while they overlap: detected with a low
  // score only (ByteTrack's second stage keeps it).
  Tracker tracker(TrackerOptions{});
  uint64_t front = 0;
  uint64_t back = 0;
  for (int i = 0; i <= 20; ++i) {
    const float a = 200 + 20.0f * i;
    const float b = 600 - 20.0f * i;  // meet at i = 10
    const bool hidden = std::fabs(a - b) < 60;
    const std::vector<uint64_t> ids =
        Step(tracker, i * 200, {Det(a, 300, 40, 100, 0.9f), Det(b, 305, 40, 100, hidden ? 0.3f : 0.9f)});
    if (i == 3) {
      front = ids[0];
      back = ids[1];
    }
    if (i > 3) {
      CHECK_EQ(ids[0], front);
      CHECK_EQ(ids[1], back);
    }
  }
  CHECK(front != 0 && back != 0 && front != back);
}

void MissedForSomeFramesKeepsId() {
  // At 5 fps an object is missed for k frames (k * 200 ms < the 3 s buffer), moving meanwhile: same id.
  for (int k : {1, 3, 8}) {
    Tracker tracker(TrackerOptions{});
    uint64_t id = 0;
    for (int i = 0; i < 30; ++i) {
      const bool missed = i >= 10 && i < 10 + k;
      const std::vector<Detection> dets = missed ? std::vector<Detection>{} : std::vector<Detection>{Det(100 + 15.0f * i, 300, 60, 120)};
      const std::vector<uint64_t> ids = Step(tracker, i * 200, dets);
      if (i == 5) id = ids[0];
      if (i > 5 && !missed) CHECK_EQ(ids[0], id);
    }
    CHECK(id != 0);
  }
}

void OcclusionLongerThanBufferGivesNewId() {
  TrackerOptions options;
  options.buffer_ms = 1000;
  Tracker tracker(options);
  uint64_t first = 0;
  for (int i = 0; i < 5; ++i) first = Step(tracker, i * 200, {Det(300, 300, 60, 120)})[0];
  CHECK_EQ(first, 1u);
  // Gone from 1000 ms; back at 2400 ms (1600 ms after its last match at 800 ms): a new object.
  std::vector<uint64_t> ids;
  for (int i = 12; i < 16; ++i) ids.push_back(Step(tracker, i * 200, {Det(300, 300, 60, 120)})[0]);
  CHECK_EQ(ids[0], 0u);  // tentative again
  CHECK_EQ(ids[1], 2u);
  CHECK_EQ(ids[3], 2u);
}

void LabelChangeGivesNewId() {
  Tracker tracker(TrackerOptions{});
  for (int i = 0; i < 5; ++i) Step(tracker, i * 100, {Det(300, 300, 60, 120, 0.9f, 0)});
  // The same box now detected as label 1: another object. Label 0's track is lost, label 1's starts.
  UpdateResult r;
  CHECK_EQ(Step(tracker, 500, {Det(300, 300, 60, 120, 0.9f, 1)}, &r)[0], 0u);
  CHECK_EQ(Step(tracker, 600, {Det(300, 300, 60, 120, 0.9f, 1)}, &r)[0], 2u);
  CHECK_EQ(r.tracks.size(), 2u);
  for (const TrackView& t : r.tracks) CHECK_EQ(t.label, t.id == 1u ? 0 : 1);
  // And back to label 0: the lost track of label 0 takes it again.
  CHECK_EQ(Step(tracker, 700, {Det(300, 300, 60, 120, 0.9f, 0)})[0], 1u);
}

void IrregularIntervalsKeepIdsAndVelocity() {
  // Model frames 0.5 to 1.5 s apart (a CPU), an object at 90 px/s whose box (60 px wide) moves 45-135 px
  // between frames: consecutive boxes rarely overlap, yet it keeps one id, and the velocity is learnt in
  // pixels per second, whatever the intervals.
  const int64_t gaps[] = {700, 1400, 500, 1100, 900, 1500, 600, 1300, 800, 1000, 1200, 550};
  Tracker tracker(TrackerOptions{});
  int64_t t = 0;
  uint64_t id = 0;
  for (std::size_t i = 0; i <= std::size(gaps); ++i) {
    const float x = 100 + 0.09f * static_cast<float>(t);
    const std::vector<uint64_t> ids = Step(tracker, t, {Det(x, 300, 60, 150)});
    if (i == 1) id = ids[0];
    if (i > 1) CHECK_EQ(ids[0], id);
    if (i < std::size(gaps)) t += gaps[i];
  }
  CHECK(id != 0);
  std::vector<TrackView> out;
  tracker.Predict(t + 1000, &out);
  CHECK_EQ(out.size(), 1u);
  if (out.size() == 1) CHECK_NEAR(CentreX(out[0].box), 100 + 0.09 * (t + 1000), 8);
}

void FiveHundredDetectionsPerFrame() {
  // 500 objects on a grid, all moving diagonally: every one confirmed at the second frame with a distinct id,
  // ids stable afterwards.
  Tracker tracker(TrackerOptions{});
  auto frame = [](int i) {
    std::vector<Detection> dets;
    for (int k = 0; k < 500; ++k) dets.push_back(Det(20 + 50.0f * (k % 25) + 2.0f * i, 20 + 50.0f * (k / 25) + i, 30, 30));
    return dets;
  };
  UpdateResult r;
  Step(tracker, 0, frame(0), &r);
  CHECK(std::all_of(r.track_ids.begin(), r.track_ids.end(), [](uint64_t id) { return id == 0; }));
  Step(tracker, 33, frame(1), &r);
  const std::vector<uint64_t> first = r.track_ids;
  CHECK_EQ(std::set<uint64_t>(first.begin(), first.end()).size(), 500u);
  CHECK_EQ(*std::min_element(first.begin(), first.end()), 1u);
  CHECK_EQ(*std::max_element(first.begin(), first.end()), 500u);
  for (int i = 2; i < 10; ++i) {
    Step(tracker, i * 33, frame(i), &r);
    CHECK(r.track_ids == first);
  }
  CHECK_EQ(r.tracks.size(), 500u);
  // 500 boxes all on top of one another (one component, matched greedily): no crash, no id twice.
  Tracker piled(TrackerOptions{});
  std::vector<Detection> same(500, Det(300, 300, 100, 100));
  for (int i = 0; i < 3; ++i) Step(piled, i * 33, same, &r);
  std::set<uint64_t> seen;
  for (uint64_t id : r.track_ids) {
    if (id != 0) CHECK(seen.insert(id).second);
  }
  CHECK_EQ(seen.size(), 500u);
}

void LowScoreDetectionsOnlyExtendTracks() {
  TrackerOptions options;
  options.default_thresholds = {0.5f, 0.1f};
  Tracker tracker(options);
  // A low-score object alone never starts a track.
  for (int i = 0; i < 5; ++i) CHECK_EQ(Step(tracker, i * 100, {Det(100, 100, 40, 40, 0.3f)})[0], 0u);
  CHECK_EQ(tracker.TrackCount(), 0u);
  // A followed object whose score dips below the high threshold keeps its id (second stage)...
  uint64_t id = 0;
  for (int i = 5; i < 15; ++i) {
    const float score = i >= 8 && i < 12 ? 0.3f : 0.9f;
    const uint64_t got = Step(tracker, i * 100, {Det(300 + 5.0f * i, 300, 50, 100, score)})[0];
    if (i == 6) id = got;
    if (i > 6) CHECK_EQ(got, id);
  }
  CHECK(id != 0);
  // ... and below the low floor it is not seen at all.
  CHECK_EQ(Step(tracker, 1500, {Det(375, 300, 50, 100, 0.05f)})[0], 0u);
  // Per-label thresholds: label 1's high threshold is 0.2, so 0.3 now starts tracks.
  tracker.SetLabelThresholds({{0.5f, 0.1f}, {0.2f, 0.05f}});
  Step(tracker, 1600, {Det(700, 100, 40, 40, 0.3f, 1)});
  CHECK(Step(tracker, 1700, {Det(700, 100, 40, 40, 0.3f, 1)})[0] != 0u);
  CHECK_THROWS(tracker.SetLabelThresholds({{0.2f, 0.3f}}), "the thresholds of label 0");
}

void FalsePositivesGetNoId() {
  // One-frame false positives never reach min_hits: they take no id, so ids stay dense.
  Tracker tracker(TrackerOptions{});
  for (int i = 0; i < 20; ++i) {
    std::vector<Detection> dets = {Det(300, 300, 60, 120)};
    dets.push_back(Det(50.0f + 40.0f * (i % 10), 600, 30, 30));  // a different place every frame
    const std::vector<uint64_t> ids = Step(tracker, i * 100, dets);
    if (i >= 1) CHECK_EQ(ids[0], 1u);
    CHECK_EQ(ids[1], 0u);
  }
}

void PromptChangeResetsOnlyRemovedLabels() {
  Tracker tracker(TrackerOptions{});
  auto frame = [](int32_t l0, int32_t l1, int32_t l2) {
    return std::vector<Detection>{Det(100, 100, 50, 50, 0.9f, l0), Det(300, 100, 50, 50, 0.9f, l1),
                                  Det(500, 100, 50, 50, 0.9f, l2)};
  };
  std::vector<uint64_t> before;
  for (int i = 0; i < 3; ++i) before = Step(tracker, i * 100, frame(0, 1, 2));
  CHECK(before[0] != 0 && before[1] != 0 && before[2] != 0);
  // Prompts [a, b, c] -> [b, c]: label 0 is gone, 1 becomes 0, 2 becomes 1.
  tracker.RemapLabels({-1, 0, 1});
  UpdateResult r;
  Step(tracker, 300, {Det(300, 100, 50, 50, 0.9f, 0), Det(500, 100, 50, 50, 0.9f, 1)}, &r);
  CHECK_EQ(r.track_ids[0], before[1]);
  CHECK_EQ(r.track_ids[1], before[2]);
  CHECK_EQ(r.tracks.size(), 2u);
  // A new prompt at index 2 detected where the removed label's object was: a new object with a new id.
  Step(tracker, 400, {Det(100, 100, 50, 50, 0.9f, 2)});
  const uint64_t fresh = Step(tracker, 500, {Det(100, 100, 50, 50, 0.9f, 2)})[0];
  CHECK(fresh > before[2]);
  // A mapping that does not cover a label drops its tracks too.
  tracker.RemapLabels({0});
  std::vector<TrackView> out;
  tracker.Predict(500, &out);
  CHECK_EQ(out.size(), 1u);
  if (out.size() == 1) CHECK_EQ(out[0].id, before[1]);
}

void TimeGoingBackwardsStartsOver() {
  Tracker tracker(TrackerOptions{});
  UpdateResult r;
  for (int i = 0; i < 3; ++i) Step(tracker, 10000 + i * 100, {Det(100, 100, 50, 50)}, &r);
  CHECK_EQ(r.track_ids[0], 1u);
  CHECK(!r.time_reset);
  // The same timestamp again is a frame 0 ms later, not a reset.
  Step(tracker, 10200, {Det(100, 100, 50, 50)}, &r);
  CHECK(!r.time_reset);
  CHECK_EQ(r.track_ids[0], 1u);
  // Backwards (a restarted source): every track dropped, ids continue.
  Step(tracker, 500, {Det(100, 100, 50, 50)}, &r);
  CHECK(r.time_reset);
  CHECK_EQ(r.track_ids[0], 0u);
  CHECK(r.tracks.empty());
  Step(tracker, 600, {Det(100, 100, 50, 50)}, &r);
  CHECK(!r.time_reset);
  CHECK_EQ(r.track_ids[0], 2u);
}

void BadInputIsRefusedWholeAndChangesNothing() {
  Tracker tracker(TrackerOptions{});
  for (int i = 0; i < 3; ++i) Step(tracker, i * 100, {Det(100, 100, 50, 50)});
  const float nan = std::nanf("");
  Detection bad = Det(100, 100, 50, 50);
  bad.box.x1 = nan;
  CHECK_THROWS(Step(tracker, 300, {Det(400, 400, 50, 50), bad}), "detection 1: box (75, 75, nan, 125) is not finite");
  Detection inf_score = Det(100, 100, 50, 50);
  inf_score.score = INFINITY;
  CHECK_THROWS(Step(tracker, 300, {inf_score}), "detection 0: score inf is not finite");
  CHECK_THROWS(Step(tracker, 300, {Det(100, 100, 50, 50, 0.9f, -1)}), "detection 0: label -1 is negative");
  // Nothing moved: the refused frames did not count as misses, nor advance the clock.
  std::vector<TrackView> out;
  tracker.Predict(200, &out);
  CHECK_EQ(out.size(), 1u);
  CHECK_EQ(Step(tracker, 300, {Det(100, 100, 50, 50)})[0], 1u);
  // Boxes without area are ignored, not refused.
  UpdateResult r;
  Step(tracker, 400, {Det(100, 100, 50, 50), {0, 0.9f, {10, 10, 10, 20}}, {0, 0.9f, {30, 30, 20, 40}}}, &r);
  CHECK_EQ(r.track_ids.size(), 3u);
  CHECK_EQ(r.track_ids[0], 1u);
  CHECK_EQ(r.track_ids[1] + r.track_ids[2], 0u);
}

void OptionsAreValidated() {
  TrackerOptions o;
  o.min_hits = 0;
  CHECK_THROWS(Tracker{o}, "tracker option minHits must be at least 1, got 0");
  o = TrackerOptions{};
  o.match_iou = 1.5f;
  CHECK_THROWS(Tracker{o}, "tracker option matchIou must be in (0, 1], got 1.5");
  o.match_iou = 0;
  CHECK_THROWS(Tracker{o}, "tracker option matchIou must be in (0, 1], got 0");
  o = TrackerOptions{};
  o.buffer_ms = -1;
  CHECK_THROWS(Tracker{o}, "tracker option bufferMs must be >= 0, got -1");
  o = TrackerOptions{};
  o.default_thresholds = {0.1f, 0.2f};
  CHECK_THROWS(Tracker{o}, "defaultThresholds must satisfy 0 <= low <= high <= 1");
  o = TrackerOptions{};
  o.motion.motion_noise = 0;
  CHECK_THROWS(Tracker{o}, "tracker option motionNoise must be a positive number");
}

void OptionsChangeKeepsTracks() {
  Tracker tracker(TrackerOptions{});
  Step(tracker, 0, {Det(100, 100, 50, 50)});
  const uint64_t id = Step(tracker, 100, {Det(105, 100, 50, 50)})[0];
  CHECK(id != 0);
  // A refused change changes nothing.
  TrackerOptions bad;
  bad.min_hits = 0;
  CHECK_THROWS(tracker.SetOptions(bad), "tracker option minHits must be at least 1, got 0");
  CHECK_EQ(Step(tracker, 200, {Det(110, 100, 50, 50)})[0], id);
  // New settings keep the tracks and their ids, and apply from the next frame: a new object now needs 3 hits, and
  // a track is dropped after 500 ms without a match.
  TrackerOptions next;
  next.min_hits = 3;
  next.buffer_ms = 500;
  tracker.SetOptions(next);
  std::vector<uint64_t> ids = Step(tracker, 300, {Det(115, 100, 50, 50), Det(400, 400, 50, 50)});
  CHECK_EQ(ids[0], id);
  CHECK_EQ(ids[1], 0u);
  ids = Step(tracker, 400, {Det(120, 100, 50, 50), Det(400, 400, 50, 50)});
  CHECK_EQ(ids[0], id);
  CHECK_EQ(ids[1], 0u);
  ids = Step(tracker, 500, {Det(125, 100, 50, 50), Det(400, 400, 50, 50)});
  CHECK_EQ(ids[0], id);
  CHECK(ids[1] != 0u);
  CHECK(Step(tracker, 1100, {Det(130, 100, 50, 50)})[0] != id);
}

void ScoreIsTheLastDetections() {
  Tracker tracker(TrackerOptions{});
  UpdateResult r;
  Step(tracker, 0, {Det(100, 100, 50, 50, 0.7f)}, &r);
  Step(tracker, 100, {Det(100, 100, 50, 50, 0.6f)}, &r);
  CHECK_EQ(r.tracks.size(), 1u);
  if (r.tracks.size() == 1) {
    CHECK_EQ(r.tracks[0].score, 0.6f);
    CHECK_EQ(r.tracks[0].detection, 0);
  }
  Step(tracker, 200, {Det(100, 100, 50, 50, 0.9f)}, &r);
  if (r.tracks.size() == 1) CHECK_EQ(r.tracks[0].score, 0.9f);
}

struct Case {
  const char* name;
  void (*run)();
};

const Case kCases[] = {
    {"assignment is optimal, not greedy", AssignmentIsOptimalNotGreedy},
    {"assignment leaves bad pairs alone", AssignmentLeavesBadPairsAlone},
    {"assignment matches brute force", AssignmentMatchesBruteForce},
    {"confirms after min hits and follows", ConfirmsAfterMinHitsAndFollows},
    {"predict extrapolates by time", PredictExtrapolatesByTime},
    {"empty frames and death after the buffer", EmptyFramesAndDeathAfterBuffer},
    {"crossing paths keep ids", CrossingPathsKeepIds},
    {"crossing with occlusion keeps ids", CrossingWithOcclusionKeepsIds},
    {"missed for k frames keeps its id", MissedForSomeFramesKeepsId},
    {"occlusion longer than the buffer gives a new id", OcclusionLongerThanBufferGivesNewId},
    {"label change gives a new id", LabelChangeGivesNewId},
    {"irregular intervals keep ids and velocity", IrregularIntervalsKeepIdsAndVelocity},
    {"500 detections per frame", FiveHundredDetectionsPerFrame},
    {"low-score detections only extend tracks", LowScoreDetectionsOnlyExtendTracks},
    {"false positives get no id", FalsePositivesGetNoId},
    {"prompt change resets only removed labels", PromptChangeResetsOnlyRemovedLabels},
    {"time going backwards starts over", TimeGoingBackwardsStartsOver},
    {"bad input is refused whole and changes nothing", BadInputIsRefusedWholeAndChangesNothing},
    {"options are validated", OptionsAreValidated},
    {"an options change keeps the tracks", OptionsChangeKeepsTracks},
    {"score is the last detection's", ScoreIsTheLastDetections},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const Case& c : kCases) std::printf("%s\n", c.name);
    return 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s --list | <case name>\n", argv[0]);
    return 2;
  }
  for (const Case& c : kCases) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      c.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "uncaught exception: %s\n", e.what());
      ++failures;
    }
    return failures == 0 ? 0 : 1;
  }
  std::fprintf(stderr, "no case named \"%s\"\n", argv[1]);
  return 2;
}
