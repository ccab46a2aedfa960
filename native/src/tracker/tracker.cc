// SPDX-License-Identifier: Apache-2.0
#include "tracker/tracker.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace owl::tracking {
namespace {

[[noreturn]] void Refuse(const std::string& what) { throw std::invalid_argument(what); }

std::string Number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

void RequireIou(double value, const char* name) {
  if (!(value > 0.0 && value <= 1.0)) {
    Refuse(std::string("tracker option ") + name + " must be in (0, 1], got " + Number(value));
  }
}

void RequirePositive(double value, const char* name) {
  if (!(value > 0.0) || !std::isfinite(value)) {
    Refuse(std::string("tracker option ") + name + " must be a positive number, got " + Number(value));
  }
}

void RequireThresholds(const ScoreThresholds& t, const std::string& name) {
  if (!(t.high >= 0.0 && t.high <= 1.0 && t.low >= 0.0 && t.low <= t.high)) {
    Refuse(name + " must satisfy 0 <= low <= high <= 1, got high " + Number(t.high) + ", low " + Number(t.low));
  }
}

// IoU of a and b, each grown by mx on the left and right and my on the top and bottom.
float BufferedIou(const Box& a, const Box& b, float mx, float my) {
  const float ix = std::min(a.x1, b.x1) - std::max(a.x0, b.x0) + 2.0f * mx;
  const float iy = std::min(a.y1, b.y1) - std::max(a.y0, b.y0) + 2.0f * my;
  if (ix <= 0.0f || iy <= 0.0f) return 0.0f;
  const float area_a = (a.x1 - a.x0 + 2.0f * mx) * (a.y1 - a.y0 + 2.0f * my);
  const float area_b = (b.x1 - b.x0 + 2.0f * mx) * (b.y1 - b.y0 + 2.0f * my);
  const float inter = ix * iy;
  return inter / (area_a + area_b - inter);
}

}  // namespace

Tracker::Tracker(const TrackerOptions& options) : options_(options) { Validate(options); }

void Tracker::SetOptions(const TrackerOptions& options) {
  Validate(options);
  options_ = options;
}

void Tracker::Validate(const TrackerOptions& options) {
  RequireThresholds(options.default_thresholds, "tracker option defaultThresholds");
  RequireIou(options.match_iou, "matchIou");
  RequireIou(options.low_match_iou, "lowMatchIou");
  RequireIou(options.tentative_match_iou, "tentativeMatchIou");
  if (options.min_hits < 1) Refuse("tracker option minHits must be at least 1, got " + std::to_string(options.min_hits));
  if (options.buffer_ms < 0) Refuse("tracker option bufferMs must be >= 0, got " + std::to_string(options.buffer_ms));
  RequirePositive(options.motion.measurement_noise, "measurementNoise");
  RequirePositive(options.motion.motion_noise, "motionNoise");
  RequirePositive(options.motion.initial_speed_std, "initialSpeedStd");
  if (!(options.margin_sigmas >= 0.0 && std::isfinite(options.margin_sigmas))) {
    Refuse("tracker option marginSigmas must be >= 0, got " + Number(options.margin_sigmas));
  }
  if (!(options.max_margin >= 0.0 && std::isfinite(options.max_margin))) {
    Refuse("tracker option maxMargin must be >= 0, got " + Number(options.max_margin));
  }
}

const ScoreThresholds& Tracker::ThresholdsOf(int32_t label) const {
  return static_cast<std::size_t>(label) < label_thresholds_.size() ? label_thresholds_[label]
                                                                     : options_.default_thresholds;
}

void Tracker::SetLabelThresholds(const std::vector<ScoreThresholds>& thresholds) {
  for (std::size_t i = 0; i < thresholds.size(); ++i) {
    RequireThresholds(thresholds[i], "the thresholds of label " + std::to_string(i));
  }
  label_thresholds_ = thresholds;
}

void Tracker::RemapLabels(const std::vector<int32_t>& old_to_new) {
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) {
                                 return static_cast<std::size_t>(t.label) >= old_to_new.size() ||
                                        old_to_new[t.label] < 0;
                               }),
                tracks_.end());
  for (Track& t : tracks_) t.label = old_to_new[t.label];
}

const std::vector<Match>& Tracker::Associate(const std::vector<uint32_t>& tracks,
                                             const std::vector<uint32_t>& detections, double min_iou,
                                             const Detection* all) {
  candidates_.clear();
  for (uint32_t r = 0; r < tracks.size(); ++r) {
    const uint32_t ti = tracks[r];
    const Track& track = tracks_[ti];
    for (uint32_t c = 0; c < detections.size(); ++c) {
      const Detection& d = all[detections[c]];
      if (d.label != track.label) continue;
      const double iou = BufferedIou(predicted_[ti], d.box, margin_x_[ti], margin_y_[ti]);
      if (iou >= min_iou) candidates_.push_back({r, c, 1.0 - iou});
    }
  }
  return assigner_.Solve(tracks.size(), detections.size(), candidates_, 1.0 - min_iou);
}

void Tracker::Apply(uint32_t track_index, const Detection& detection, uint32_t detection_index, int64_t now) {
  Track& track = tracks_[track_index];
  track.filter.Update(detection.box, options_.motion);
  track.score = detection.score;
  track.hits++;
  track.last_match_ms = now;
  track_matched_[track_index] = 1;
  det_track_[detection_index] = static_cast<int32_t>(track_index);
}

void Tracker::Update(int64_t timestamp_ms, const Detection* detections, std::size_t count, UpdateResult* result) {
  for (std::size_t i = 0; i < count; ++i) {
    const Detection& d = detections[i];
    const Box& b = d.box;
    if (!std::isfinite(b.x0) || !std::isfinite(b.y0) || !std::isfinite(b.x1) || !std::isfinite(b.y1)) {
      Refuse("detection " + std::to_string(i) + ": box (" + Number(b.x0) + ", " + Number(b.y0) + ", " + Number(b.x1) +
             ", " + Number(b.y1) + ") is not finite");
    }
    if (!std::isfinite(d.score)) Refuse("detection " + std::to_string(i) + ": score " + Number(d.score) + " is not finite");
    if (d.label < 0) Refuse("detection " + std::to_string(i) + ": label " + std::to_string(d.label) + " is negative");
  }

  result->time_reset = started_ && timestamp_ms < last_ms_;
  if (result->time_reset) tracks_.clear();
  // Expired before this frame: an object back after the buffer is a new one.
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) { return timestamp_ms - t.last_match_ms > options_.buffer_ms; }),
                tracks_.end());
  const double dt = started_ && !result->time_reset ? static_cast<double>(timestamp_ms - last_ms_) / 1000.0 : 0.0;
  started_ = true;
  last_ms_ = timestamp_ms;

  const std::size_t existing = tracks_.size();
  predicted_.resize(existing);
  margin_x_.resize(existing);
  margin_y_.resize(existing);
  track_matched_.assign(existing, 0);
  for (std::size_t i = 0; i < existing; ++i) {
    BoxFilter& f = tracks_[i].filter;
    f.Predict(dt, options_.motion);
    predicted_[i] = f.BoxAt(0.0);
    margin_x_[i] = static_cast<float>(std::min(options_.margin_sigmas * f.CentreStdX(), options_.max_margin * f.Width()));
    margin_y_[i] = static_cast<float>(std::min(options_.margin_sigmas * f.CentreStdY(), options_.max_margin * f.Height()));
  }

  det_track_.assign(count, -1);
  high_.clear();
  low_.clear();
  for (uint32_t i = 0; i < count; ++i) {
    const Detection& d = detections[i];
    if (!(d.box.x1 > d.box.x0 && d.box.y1 > d.box.y0)) continue;
    const ScoreThresholds& t = ThresholdsOf(d.label);
    if (d.score >= t.high) {
      high_.push_back(i);
    } else if (d.score >= t.low) {
      low_.push_back(i);
    }
  }

  // Stage 2: high detections to every confirmed track.
  pool_.clear();
  for (uint32_t i = 0; i < existing; ++i) {
    if (tracks_[i].id != 0) pool_.push_back(i);
  }
  for (const Match& m : Associate(pool_, high_, options_.match_iou, detections)) {
    Apply(pool_[m.row], detections[high_[m.col]], high_[m.col], timestamp_ms);
  }
  // Stage 3: low detections to the confirmed tracks still unmatched.
  rest_.clear();
  for (uint32_t i : pool_) {
    if (!track_matched_[i]) rest_.push_back(i);
  }
  for (const Match& m : Associate(rest_, low_, options_.low_match_iou, detections)) {
    Apply(rest_[m.row], detections[low_[m.col]], low_[m.col], timestamp_ms);
  }
  // Stage 4: the high detections left to the tentative tracks.
  rest_.clear();
  for (uint32_t i : high_) {
    if (det_track_[i] < 0) rest_.push_back(i);
  }
  pool_.clear();
  for (uint32_t i = 0; i < existing; ++i) {
    if (tracks_[i].id == 0) pool_.push_back(i);
  }
  for (const Match& m : Associate(pool_, rest_, options_.tentative_match_iou, detections)) {
    Apply(pool_[m.row], detections[rest_[m.col]], rest_[m.col], timestamp_ms);
  }
  // Stage 5: the high detections still left start tentative tracks.
  for (uint32_t i : rest_) {
    if (det_track_[i] >= 0) continue;
    const Detection& d = detections[i];
    det_track_[i] = static_cast<int32_t>(tracks_.size());
    tracks_.push_back({0, d.label, d.score, 1, timestamp_ms, BoxFilter(d.box, options_.motion)});
    track_matched_.push_back(1);
  }

  for (Track& t : tracks_) {
    if (t.id == 0 && t.hits >= options_.min_hits) t.id = next_id_++;
  }
  result->track_ids.resize(count);
  for (std::size_t i = 0; i < count; ++i) result->track_ids[i] = det_track_[i] >= 0 ? tracks_[det_track_[i]].id : 0;

  track_det_.assign(tracks_.size(), -1);
  for (std::size_t d = 0; d < count; ++d) {
    if (det_track_[d] >= 0) track_det_[det_track_[d]] = static_cast<int32_t>(d);
  }
  result->tracks.clear();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    if (t.id == 0 && !track_matched_[i]) continue;  // a tentative track must be matched at every frame
    if (t.id != 0) result->tracks.push_back({t.id, t.label, t.score, t.filter.BoxAt(0.0), t.last_match_ms, track_det_[i]});
    if (kept != i) tracks_[kept] = std::move(t);
    kept++;
  }
  tracks_.erase(tracks_.begin() + static_cast<std::ptrdiff_t>(kept), tracks_.end());
}

void Tracker::Predict(int64_t timestamp_ms, std::vector<TrackView>* out) const {
  out->clear();
  if (!started_) return;
  const double dt = static_cast<double>(timestamp_ms - last_ms_) / 1000.0;
  for (const Track& t : tracks_) {
    if (t.id != 0 && timestamp_ms - t.last_match_ms <= options_.buffer_ms) out->push_back({t.id, t.label, t.score, t.filter.BoxAt(dt), t.last_match_ms, -1});
  }
}

}  // namespace owl::tracking
