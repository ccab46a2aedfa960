// SPDX-License-Identifier: Apache-2.0
// N-API surface of the tracker core: a thin ObjectWrap that reads the per-frame typed arrays in place and
// answers with typed arrays. Only type and length checks live here; the core validates values.
// TypeError = wrong JS type; RangeError = a length or value the core refuses.
#include "tracker/tracker_binding.h"

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/attr.h"
#include "tracker/tracker.h"

namespace owl {
namespace {

using tracking::Detection;
using tracking::ScoreThresholds;
using tracking::TrackerOptions;
using tracking::TrackView;

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1: ids and times stay exact in a double

// "a Float64Array", "number 1.5", "undefined"... for "but received" in messages.
std::string Received(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_number: return "number " + value.ToString().Utf8Value();
    case napi_string: return "a string";
    case napi_boolean: return "a boolean";
    case napi_bigint: return "a bigint";
    case napi_function: return "a function";
    case napi_object: {
      const Napi::Value constructor = value.As<Napi::Object>().Get("constructor");
      if (!constructor.IsFunction()) return "an object";
      const std::string name = constructor.As<Napi::Function>().Get("name").ToString().Utf8Value();
      return (!name.empty() && std::string("AEIOU").find(name[0]) != std::string::npos ? "an " : "a ") + name;
    }
    default: return "a symbol";
  }
}

template <typename Array>
Array TypedArrayArg(const Napi::CallbackInfo& info, std::size_t index, napi_typedarray_type type, const char* kind,
                    const char* name) {
  const Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("Expected ") + kind + " for " + name + " but received " +
                                               Received(value));
  }
  return value.As<Array>();
}

int64_t TimestampArg(const Napi::CallbackInfo& info) {
  const Napi::Value value = info[0];
  const double ms = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(ms) || std::trunc(ms) != ms || std::fabs(ms) > kMaxSafeInteger) {
    throw Napi::TypeError::New(info.Env(), "Expected an integer number of milliseconds for timestampMs but received " +
                                               Received(value));
  }
  return static_cast<int64_t>(ms);
}

void RequireLength(Napi::Env env, const char* name, std::size_t length, std::size_t expected, const char* why) {
  if (length != expected) {
    throw Napi::RangeError::New(env, "Expected " + std::to_string(expected) + " elements (" + why + ") for " + name +
                                         " but received " + std::to_string(length));
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

// Runs an entry point's body; the core's refusals (std::invalid_argument) become RangeErrors.
template <typename Body>
auto Guarded(Napi::Env env, Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("owl tracker: ") + e.what());
  }
}

class TrackerWrap : public Napi::ObjectWrap<TrackerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Tracker",
                       {InstanceMethod<&TrackerWrap::Update>("update"), InstanceMethod<&TrackerWrap::Predict>("predict"),
                        InstanceMethod<&TrackerWrap::SetThresholds>("setThresholds"),
                        InstanceMethod<&TrackerWrap::RemapLabels>("remapLabels")});
  }

  explicit TrackerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrackerWrap>(info) {
    Guarded(info.Env(), [&] {
      if (!info[0].IsObject()) {
        throw Napi::TypeError::New(info.Env(), "Expected an object for options but received " + Received(info[0]));
      }
      tracker_.emplace(ReadOptions(info[0].As<Napi::Object>()));
    });
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
      tracker_->Update(ms, detections_.data(), n, &result_);
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
      tracker_->SetLabelThresholds(thresholds);
    });
  }

  // remapLabels(oldToNew: Int32Array): new index per old label, -1 where the prompt is gone.
  void RemapLabels(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] {
      const auto map = TypedArrayArg<Napi::Int32Array>(info, 0, napi_int32_array, "an Int32Array", "oldToNew");
      tracker_->RemapLabels(std::vector<int32_t>(map.Data(), map.Data() + map.ElementLength()));
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

  std::optional<tracking::Tracker> tracker_;
  std::vector<Detection> detections_;
  tracking::UpdateResult result_;
  std::vector<TrackView> predicted_;
};

}  // namespace

void InitTrackerBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("Tracker", TrackerWrap::Define(env));
  exports.Set("trackerDefaults", Defaults(env));
}

}  // namespace owl
