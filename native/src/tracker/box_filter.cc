// SPDX-License-Identifier: Apache-2.0
#include "tracker/box_filter.h"

#include <algorithm>
#include <cmath>

namespace owl::tracking {
namespace {

// Sizes change slowly (perspective, a person turning): their acceleration noise and prior rate are this
// fraction of the centre's, relative to the width or height.
constexpr double kSizeNoiseRatio = 0.2;
// The smallest width or height the filter works with, in pixels (keeps the relative noises positive).
constexpr double kMinSide = 1.0;

double Square(double x) { return x * x; }

}  // namespace

void BoxFilter::Axis::Predict(double dt, double q) {
  const double dt2 = dt * dt;
  pp += 2.0 * dt * pv + dt2 * vv + q * dt2 * dt / 3.0;
  pv += dt * vv + q * dt2 / 2.0;
  vv += q * dt;
  p += v * dt;
}

void BoxFilter::Axis::Update(double z, double r) {
  const double s = pp + r;
  const double k0 = pp / s;
  const double k1 = pv / s;
  const double innovation = z - p;
  p += k0 * innovation;
  v += k1 * innovation;
  vv -= k1 * pv;
  pv -= k0 * pv;
  pp -= k0 * pp;
}

BoxFilter::BoxFilter(const Box& box, const MotionModel& model) {
  const double w = std::max<double>(box.x1 - box.x0, kMinSide);
  const double h = std::max<double>(box.y1 - box.y0, kMinSide);
  const double size = std::sqrt(w * h);
  const double m = model.measurement_noise;
  const double speed = model.initial_speed_std;
  cx_ = {0.5 * (box.x0 + box.x1), 0.0, Square(m * w), 0.0, Square(speed * size)};
  cy_ = {0.5 * (box.y0 + box.y1), 0.0, Square(m * h), 0.0, Square(speed * size)};
  w_ = {w, 0.0, Square(m * w), 0.0, Square(kSizeNoiseRatio * speed * w)};
  h_ = {h, 0.0, Square(m * h), 0.0, Square(kSizeNoiseRatio * speed * h)};
}

double BoxFilter::Width() const { return std::max(w_.p, kMinSide); }
double BoxFilter::Height() const { return std::max(h_.p, kMinSide); }
double BoxFilter::Size() const { return std::sqrt(Width() * Height()); }

void BoxFilter::Predict(double dt, const MotionModel& model) {
  if (dt <= 0.0) return;
  const double q = Square(model.motion_noise * Size());
  cx_.Predict(dt, q);
  cy_.Predict(dt, q);
  w_.Predict(dt, Square(kSizeNoiseRatio * model.motion_noise * Width()));
  h_.Predict(dt, Square(kSizeNoiseRatio * model.motion_noise * Height()));
}

void BoxFilter::Update(const Box& box, const MotionModel& model) {
  const double w = std::max<double>(box.x1 - box.x0, kMinSide);
  const double h = std::max<double>(box.y1 - box.y0, kMinSide);
  const double m = model.measurement_noise;
  // The noise follows the filter's own size, not the detection's: one odd box must not weigh itself more.
  const double fw = Width();
  const double fh = Height();
  cx_.Update(0.5 * (box.x0 + box.x1), Square(m * fw));
  cy_.Update(0.5 * (box.y0 + box.y1), Square(m * fh));
  w_.Update(w, Square(m * fw));
  h_.Update(h, Square(m * fh));
}

Box BoxFilter::BoxAt(double dt) const {
  const double cx = cx_.p + cx_.v * dt;
  const double cy = cy_.p + cy_.v * dt;
  const double w = std::max(w_.p + w_.v * dt, kMinSide);
  const double h = std::max(h_.p + h_.v * dt, kMinSide);
  return {static_cast<float>(cx - 0.5 * w), static_cast<float>(cy - 0.5 * h), static_cast<float>(cx + 0.5 * w),
          static_cast<float>(cy + 0.5 * h)};
}

double BoxFilter::CentreStdX() const { return std::sqrt(std::max(cx_.pp, 0.0)); }
double BoxFilter::CentreStdY() const { return std::sqrt(std::max(cy_.pp, 0.0)); }

}  // namespace owl::tracking
