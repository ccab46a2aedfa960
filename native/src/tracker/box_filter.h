// SPDX-License-Identifier: Apache-2.0
// The constant-velocity Kalman filter on a box, driven by time (seconds between model frames), not by frame
// count. State: centre x, centre y, width, height and their rates of change (as BoT-SORT's xywh variant of
// ByteTrack's filter). The motion model is continuous white-noise acceleration, so the transition and the
// process noise both depend on dt: x += v·dt, and the covariance grows by q·[dt³/3, dt²/2; dt²/2, dt]. With
// diagonal noise the eight-dimensional filter is four independent (value, rate) filters, which is what this
// computes: the same numbers as the 8×8 matrices, without them.
//
// Every noise is relative to the box's size, as in SORT and ByteTrack, so one setting fits near and far
// objects: position noise scales with sqrt(width·height) (motion in the image has no preferred axis), size
// noise with the width or height itself.
#pragma once

#include <cstdint>

namespace owl::tracking {

/** A box in pixels: left, top, right, bottom. */
struct Box {
  float x0;
  float y0;
  float x1;
  float y1;
};

/** The filter's noise, each relative to the box's size (see the file comment). */
struct MotionModel {
  /** Standard deviation of a detection's centre and size, as a fraction of the box's size. */
  double measurement_noise;
  /** Acceleration noise of the centre, in box sizes per second² (spectral density's square root). */
  double motion_noise;
  /** Prior standard deviation of a new box's speed, in box sizes per second. */
  double initial_speed_std;
};

/** One tracked box's filter. Copyable POD-like value; predicting and updating never allocates. */
class BoxFilter {
 public:
  /** Starts at a detected box, at rest, with the prior speed uncertainty. */
  BoxFilter(const Box& box, const MotionModel& model);

  /** Moves the state dt seconds ahead (dt >= 0), growing its uncertainty. */
  void Predict(double dt, const MotionModel& model);
  /** Corrects the state with a detected box at the current time. */
  void Update(const Box& box, const MotionModel& model);

  /** The mean box dt seconds after the state's time (dt may be negative); width and height at least 1 px. */
  Box BoxAt(double dt) const;
  /** Standard deviations of the centre's x and y now, in pixels. */
  double CentreStdX() const;
  double CentreStdY() const;
  /** Current width and height of the mean box (at least 1 px). */
  double Width() const;
  double Height() const;

 private:
  /** One coordinate and its rate: mean (p, v), covariance [[pp, pv], [pv, vv]]. */
  struct Axis {
    double p;
    double v;
    double pp;
    double pv;
    double vv;
    void Predict(double dt, double q);
    void Update(double z, double r);
  };

  double Size() const;

  Axis cx_;
  Axis cy_;
  Axis w_;
  Axis h_;
};

}  // namespace owl::tracking
