// SPDX-License-Identifier: Apache-2.0
// A multi-object tracker: ByteTrack (Zhang et al., ECCV 2022) made time-aware, in pure C++ (no GStreamer,
// no Node), so that both the addon and its unit test use it.
//
// Per model frame (Update):
//   1. confirmed tracks unmatched for longer than buffer_ms are removed (an object back later is a new
//      one), and every remaining track's Kalman filter (box_filter.h) is predicted to the frame's timestamp;
//   2. detections at or above their label's high threshold are matched to the confirmed tracks, those
//      matched at the previous frame and the lost ones alike (IoU >= match_iou);
//   3. detections between the low and the high threshold are matched to the confirmed tracks still
//      unmatched (IoU >= low_match_iou): ByteTrack's second stage, which keeps an occluded object's identity
//      through its low-score frames. ByteTrack offers them only the tracks matched at the previous frame;
//      here lost tracks may take them too, because a model frame may be a second after the last and a
//      hidden object comes back partly hidden (scored low): on the benchmark's scenes this raised IDF1 by
//      0.01 to 0.04 at every frame rate;
//   4. the remaining high detections are matched to tentative tracks (IoU >= tentative_match_iou); a
//      tentative track unmatched here is dropped; one matched min_hits times in a row becomes confirmed
//      and receives its id;
//   5. high detections still unmatched start tentative tracks.
// Each stage is an optimal assignment (assignment.h). A detection never matches a track of another label.
//
// Time, not frame count, drives the filter and the buffer: model frames may come 33 ms or 1.5 s apart. To
// match across long gaps without matching blindly in crowds, IoU is taken between the predicted box and the
// detection both grown by the track's predicted centre uncertainty (margin_sigmas standard deviations, at
// most max_margin of the box's size): the buffered IoU of C-BIoU (Yang et al., WACV 2023) with the buffer
// from the filter's covariance instead of a fixed ratio. A well-followed track gets a margin of a few
// pixels (plain IoU); a new one, whose speed is unknown, or one lost for a while, a wide one.
//
// Thread use: not synchronised. The owner serialises calls (e.g. a mutex held for one call); Predict is
// const and allocates nothing once its output vector has capacity, so it can run for every video frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/generated/shared_constants.h"
#include "tracker/assignment.h"
#include "tracker/box_filter.h"

namespace owl::tracking {

/** What the tracker is given per model frame: boxes in pixels. */
struct Detection {
  /** Prompt (query) index, >= 0. */
  int32_t label;
  /** Confidence in [0, 1] (the decode's score). */
  float score;
  Box box;
};

/** The two thresholds of one label. */
struct ScoreThresholds {
  /** Detections at or above start and follow tracks (normally the prompt's threshold). */
  double high;
  /** Detections at or above, but below high, only extend confirmed tracks (never start one). */
  double low;
};

/**
 * Settings. The defaults (native/src/common/shared-constants.json, shared with TS) were tuned on the tracking
 * benchmark (bench/scenarios/tracking.ts), one set for all scenes.
 */
struct TrackerOptions {
  /** Thresholds of labels without their own (SetLabelThresholds). */
  ScoreThresholds default_thresholds{tracker_defaults::kHighScore, tracker_defaults::kLowScore};
  /** Least IoU for stage 2 (high detections to confirmed tracks). ByteTrack: 0.2. */
  double match_iou = tracker_defaults::kMatchIou;
  /** Least IoU for stage 3 (low detections). ByteTrack: 0.5. */
  double low_match_iou = tracker_defaults::kLowMatchIou;
  /** Least IoU for stage 4 (tentative tracks). ByteTrack: 0.3. */
  double tentative_match_iou = tracker_defaults::kTentativeMatchIou;
  /** Consecutive matched frames before a track is confirmed and gets an id (1: at once). */
  int32_t min_hits = tracker_defaults::kMinHits;
  /** A confirmed track unmatched for longer than this (ms) is removed: its id is not used again. */
  int64_t buffer_ms = tracker_defaults::kBufferMs;
  /** The filter's noises (box_filter.h), relative to the box's size. */
  MotionModel motion{tracker_defaults::kMeasurementNoise, tracker_defaults::kMotionNoise,
                     tracker_defaults::kInitialSpeedStd};
  /** Match margin in standard deviations of the predicted centre (0: plain IoU). */
  double margin_sigmas = tracker_defaults::kMarginSigmas;
  /** Largest match margin on each side, as a fraction of the box's width (x) or height (y). */
  double max_margin = tracker_defaults::kMaxMargin;
};

/** A confirmed track as reported by Update and Predict. */
struct TrackView {
  /** Unique within the tracker, increasing in the order tracks are confirmed, never 0, never reused. */
  uint64_t id;
  int32_t label;
  /** The score of the detection it was last matched to. */
  float score;
  /** Update: the filtered box at the frame's time. Predict: the box extrapolated to the asked time. */
  Box box;
  /** Timestamp of the last matched detection (ms). */
  int64_t last_match_ms;
  /** Update: the index of the detection matched at this frame, or -1. Predict: -1. */
  int32_t detection;
};

/** What Update reports. Reuse one across calls: its vectors keep their capacity. */
struct UpdateResult {
  /** Per input detection, in input order: its confirmed track's id, or 0 (tentative, unmatched, or ignored). */
  std::vector<uint64_t> track_ids;
  /** Every confirmed track alive after this frame, matched or lost, oldest first. */
  std::vector<TrackView> tracks;
  /** The timestamp went backwards: every track was dropped before this frame (ids are not reused). */
  bool time_reset = false;
};

class Tracker {
 public:
  /** @throws std::invalid_argument naming the option out of range. */
  explicit Tracker(const TrackerOptions& options);

  /**
   * [sync] One model frame's detections at timestamp_ms (any origin; ms). A timestamp earlier than the
   * previous frame's starts over (every track is dropped, result->time_reset) — a restarted source; the same
   * timestamp again is a frame 0 ms later. Boxes with no area are ignored (id 0); the frame is refused
   * whole, changing nothing, when any value is not finite or a label is negative.
   * @throws std::invalid_argument "detection <i>: <what is wrong>".
   */
  void Update(int64_t timestamp_ms, const Detection* detections, std::size_t count, UpdateResult* result);

  /**
   * [sync, const] The confirmed tracks' boxes extrapolated to timestamp_ms (the filter's mean; before the last
   * frame too), into *out (cleared first), except tracks unmatched for longer than buffer_ms by then. Allocates nothing when out has the capacity. Empty before the
   * first Update.
   */
  void Predict(int64_t timestamp_ms, std::vector<TrackView>* out) const;

  /**
   * [sync] New settings from the next call on; the tracks and their ids are kept (a track past the new buffer_ms
   * is removed at the next Update, a tentative one is confirmed once it has the new min_hits).
   * @throws std::invalid_argument naming the option out of range (nothing changes then).
   */
  void SetOptions(const TrackerOptions& options);

  /**
   * [sync] Thresholds per label (index = label); labels beyond use the default.
   * @throws std::invalid_argument naming the label whose thresholds are out of [0, 1] or low > high.
   */
  void SetLabelThresholds(const std::vector<ScoreThresholds>& thresholds);

  /**
   * [sync] The prompts changed: old_to_new[label] is the label's new index, or -1 where its prompt is gone.
   * Tracks of removed labels (and of labels the mapping does not cover) are dropped; every other keeps its id.
   */
  void RemapLabels(const std::vector<int32_t>& old_to_new);

  /** Tracks alive (confirmed + tentative), for tests and statistics. */
  std::size_t TrackCount() const { return tracks_.size(); }

 private:
  struct Track {
    uint64_t id;  // 0 while tentative
    int32_t label;
    float score;
    int32_t hits;
    int64_t last_match_ms;
    BoxFilter filter;
  };

  /** @throws std::invalid_argument naming the first option out of range. */
  static void Validate(const TrackerOptions& options);
  const ScoreThresholds& ThresholdsOf(int32_t label) const;
  /** The optimal matching of tracks_[tracks[row]] to all[detections[col]], with IoU >= min_iou. */
  const std::vector<Match>& Associate(const std::vector<uint32_t>& tracks, const std::vector<uint32_t>& detections,
                                      double min_iou, const Detection* all);
  /** Corrects a track with its matched detection. */
  void Apply(uint32_t track_index, const Detection& detection, uint32_t detection_index, int64_t now);

  TrackerOptions options_;
  std::vector<ScoreThresholds> label_thresholds_;
  std::vector<Track> tracks_;
  uint64_t next_id_ = 1;
  int64_t last_ms_ = 0;
  bool started_ = false;

  // Per-Update scratch, kept to avoid allocating per frame.
  Assigner assigner_;
  std::vector<Candidate> candidates_;
  std::vector<Box> predicted_;      // per track: predicted box
  std::vector<float> margin_x_, margin_y_;
  std::vector<int32_t> det_track_;  // per detection: index of its track, or -1
  std::vector<int32_t> track_det_;  // per track: index of its detection, or -1
  std::vector<uint32_t> high_, low_, pool_, rest_;
  std::vector<char> track_matched_;
};

}  // namespace owl::tracking
