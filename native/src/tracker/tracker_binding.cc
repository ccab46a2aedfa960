// SPDX-License-Identifier: Apache-2.0
// N-API surface of the tracker core: a thin ObjectWrap that reads the per-frame typed arrays in place and
// answers with typed arrays. Only type and length checks live here; the core validates values.
// TypeError = wrong JS type; RangeError = a length or value the core refuses. Messages use the addon's one
// rendering of a refused value (common/attr.h DescribeValue, common/expected.h ExpectedMessage).
#include "tracker/tracker_binding.h"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/attr.h"
#include "common/expected.h"
#include "common/js_error.h"
#include "tracker/tracker.h"

namespace owl {
namespace {

using tracking::Detection;
using tracking::ScoreThresholds;
using tracking::TrackerOptions;
using tracking::TrackView;

// Marks JS objects made by this class, so TrackerFromValue never unwraps a stranger.
constexpr napi_type_tag kTrackerTag = {0x6f776c2d74726163ULL, 0x6b65722d77726170ULL};

template <typename Array>
Array TypedArrayArg(const Napi::CallbackInfo& info, std::size_t index, napi_typedarray_type type, const char* kind,
                    const char* name) {
  const Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    ThrowExpected(value, kind, name);
  }
  return value.As<Array>();
}

int64_t TimestampArg(const Napi::CallbackInfo& info) {
  const Napi::Value value = info[0];
  const double ms = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(ms) || std::trunc(ms) != ms || std::fabs(ms) > kMaxSafeInteger) {
    ThrowExpected(value, "an integer number of milliseconds", "timestampMs");
  }
  return static_cast<int64_t>(ms);
}

void RequireLength(Napi::Env env, const char* name, std::size_t length, std::size_t expected, const char* why) {
  if (length != expected) {
    throw Napi::RangeError::New(env, ExpectedMessage(std::to_string(expected) + " elements (" + why + ")", name,
                                                     std::to_string(length)));
  }
}

TrackerOptions ReadOptions(const Napi::Object& o) {
  TrackerOptions options;
  options.default_thresholds.high = AttrAsDouble(o, "highScore", "options");
  options.default_thresholds.low = AttrAsDouble(o, "lowScore", "options");
  options.match_iou = AttrAsDouble(o, "matchIou", "options");
  options.low_match_iou = AttrAsDouble(o, "lowMatchIou", "options");
  options.tentative_match_iou = AttrAsDouble(o, "tentativeMatchIou", "options");
  options.min_hits = AttrAsInt32(o, "minHits", "options");
  options.buffer_ms = AttrAsInt32(o, "bufferMs", "options");
  options.motion.measurement_noise = AttrAsDouble(o, "measurementNoise", "options");
  options.motion.motion_noise = AttrAsDouble(o, "motionNoise", "options");
  options.motion.initial_speed_std = AttrAsDouble(o, "initialSpeedStd", "options");
  options.margin_sigmas = AttrAsDouble(o, "marginSigmas", "options");
  options.max_margin = AttrAsDouble(o, "maxMargin", "options");
  return options;
}

Napi::Object Defaults(Napi::Env env) {
  const TrackerOptions d;
  Napi::Object o = Napi::Object::New(env);
  o.Set("highScore", d.default_thresholds.high);
  o.Set("lowScore", d.default_thresholds.low);
  o.Set("matchIou", d.match_iou);
  o.Set("lowMatchIou", d.low_match_iou);
  o.Set("tentativeMatchIou", d.tentative_match_iou);
  o.Set("minHits", d.min_hits);
  o.Set("bufferMs", static_cast<double>(d.buffer_ms));
  o.Set("measurementNoise", d.motion.measurement_noise);
  o.Set("motionNoise", d.motion.motion_noise);
  o.Set("initialSpeedStd", d.motion.initial_speed_std);
  o.Set("marginSigmas", d.margin_sigmas);
  o.Set("maxMargin", d.max_margin);
  o.Freeze();
  return o;
}

class TrackerWrap : public Napi::ObjectWrap<TrackerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Tracker",
                       {InstanceMethod<&TrackerWrap::Update>("update"), InstanceMethod<&TrackerWrap::Predict>("predict"),
                        InstanceMethod<&TrackerWrap::SetThresholds>("setThresholds"),
                        InstanceMethod<&TrackerWrap::SetOptions>("setOptions"),
                        InstanceMethod<&TrackerWrap::RemapLabels>("remapLabels")});
  }

  explicit TrackerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrackerWrap>(info) {
    Guarded(info.Env(), [&] {
      tracker_ = std::make_shared<tracking::SharedTracker>(OptionsArg(info));
      info.This().As<Napi::Object>().TypeTag(&kTrackerTag);
    });
  }

  /** The shared tracker behind a JS Tracker (see TrackerFromValue). */
  static std::shared_ptr<tracking::SharedTracker> Shared(const Napi::Value& value, const std::string& field) {
    if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kTrackerTag)) {
      ThrowExpected(value, "a Tracker", field);
    }
    return Unwrap(value.As<Napi::Object>())->tracker_;
  }

 private:
  // update(timestampMs, labels: Int32Array, scores: Float32Array, boxes: Float32Array [N*4 x0,y0,x1,y1])
  Napi::Value Update(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      const Napi::Env env = info.Env();
      const int64_t ms = TimestampArg(info);
      const auto labels = TypedArrayArg<Napi::Int32Array>(info, 1, napi_int32_array, "an Int32Array", "labels");
      const auto scores = TypedArrayArg<Napi::Float32Array>(info, 2, napi_float32_array, "a Float32Array", "scores");
      const auto boxes = TypedArrayArg<Napi::Float32Array>(info, 3, napi_float32_array, "a Float32Array", "boxes");
      const std::size_t n = labels.ElementLength();
      RequireLength(env, "scores", scores.ElementLength(), n, "labels.length");
      RequireLength(env, "boxes", boxes.ElementLength(), n * 4, "labels.length * 4");
      detections_.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        const float* b = boxes.Data() + i * 4;
        detections_[i] = {labels[i], scores[i], {b[0], b[1], b[2], b[3]}};
      }
      tracker_->With([&](tracking::Tracker& tracker) { tracker.Update(ms, detections_.data(), n, &result_); });
      Napi::Float64Array ids = Napi::Float64Array::New(env, n);
      for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<double>(result_.track_ids[i]);
      Napi::Object out = Napi::Object::New(env);
      out.Set("trackIds", ids);
      out.Set("timeReset", result_.time_reset);
      out.Set("tracks", TrackSet(env, result_.tracks));
      return out;
    });
  }

  // predict(timestampMs) -> the confirmed tracks' boxes at that time.
  Napi::Value Predict(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      tracker_->Predict(TimestampArg(info), &predicted_);
      return TrackSet(info.Env(), predicted_);
    });
  }

  // setThresholds(high: Float32Array, low: Float32Array), index = label.
  void SetThresholds(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] {
      const auto high = TypedArrayArg<Napi::Float32Array>(info, 0, napi_float32_array, "a Float32Array", "high");
      const auto low = TypedArrayArg<Napi::Float32Array>(info, 1, napi_float32_array, "a Float32Array", "low");
      RequireLength(info.Env(), "low", low.ElementLength(), high.ElementLength(), "high.length");
      std::vector<ScoreThresholds> thresholds(high.ElementLength());
      for (std::size_t i = 0; i < thresholds.size(); ++i) thresholds[i] = {high[i], low[i]};
      tracker_->With([&](tracking::Tracker& tracker) { tracker.SetLabelThresholds(thresholds); });
    });
  }

  // remapLabels(oldToNew: Int32Array): new index per old label, -1 where the prompt is gone.
  void RemapLabels(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] {
      const auto map = TypedArrayArg<Napi::Int32Array>(info, 0, napi_int32_array, "an Int32Array", "oldToNew");
      const std::vector<int32_t> old_to_new(map.Data(), map.Data() + map.ElementLength());
      tracker_->With([&](tracking::Tracker& tracker) { tracker.RemapLabels(old_to_new); });
    });
  }

  // setOptions(options): new settings, the tracks and their ids kept.
  void SetOptions(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] {
      const TrackerOptions options = OptionsArg(info);
      tracker_->With([&](tracking::Tracker& tracker) { tracker.SetOptions(options); });
    });
  }

  static Napi::Object TrackSet(Napi::Env env, const std::vector<TrackView>& tracks) {
    const std::size_t n = tracks.size();
    Napi::Float64Array ids = Napi::Float64Array::New(env, n);
    Napi::Int32Array labels = Napi::Int32Array::New(env, n);
    Napi::Float32Array scores = Napi::Float32Array::New(env, n);
    Napi::Float32Array boxes = Napi::Float32Array::New(env, n * 4);
    Napi::Float64Array last_match = Napi::Float64Array::New(env, n);
    Napi::Int32Array detections = Napi::Int32Array::New(env, n);
    for (std::size_t i = 0; i < n; ++i) {
      const TrackView& t = tracks[i];
      ids[i] = static_cast<double>(t.id);
      labels[i] = t.label;
      scores[i] = t.score;
      float* b = boxes.Data() + i * 4;
      b[0] = t.box.x0;
      b[1] = t.box.y0;
      b[2] = t.box.x1;
      b[3] = t.box.y1;
      last_match[i] = static_cast<double>(t.last_match_ms);
      detections[i] = t.detection;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("ids", ids);
    out.Set("labels", labels);
    out.Set("scores", scores);
    out.Set("boxes", boxes);
    out.Set("lastMatchMs", last_match);
    out.Set("detections", detections);
    return out;
  }

  static TrackerOptions OptionsArg(const Napi::CallbackInfo& info) {
    if (!info[0].IsObject()) ThrowExpected(info[0], "an object", "options");
    return ReadOptions(info[0].As<Napi::Object>());
  }

  std::shared_ptr<tracking::SharedTracker> tracker_;
  std::vector<Detection> detections_;
  tracking::UpdateResult result_;
  std::vector<TrackView> predicted_;
};

}  // namespace

std::shared_ptr<tracking::SharedTracker> TrackerFromValue(const Napi::Value& value, const std::string& field) {
  return TrackerWrap::Shared(value, field);
}

void InitTrackerBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("Tracker", TrackerWrap::Define(env));
  exports.Set("trackerDefaults", Defaults(env));
}

}  // namespace owl
