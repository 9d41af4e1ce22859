// Grad mode: whether differentiable ops record on the tape (per thread, on by default).
#pragma once

namespace ember {

namespace autograd {
bool grad_mode_enabled();
void set_grad_mode(bool enabled);
// Anomaly mode: backward checks every gradient it computes for NaN/Inf and names the op.
bool anomaly_mode_enabled();
void set_detect_anomaly(bool enabled);
}  // namespace autograd

// Scope in which nothing is recorded (like `with torch.no_grad():`).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(autograd::grad_mode_enabled()) { autograd::set_grad_mode(false); }
  ~NoGradGuard() { autograd::set_grad_mode(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Scope in which recording is on again, e.g. inside a NoGradGuard.
class EnableGradGuard {
 public:
  EnableGradGuard() : previous_(autograd::grad_mode_enabled()) { autograd::set_grad_mode(true); }
  ~EnableGradGuard() { autograd::set_grad_mode(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

// Scope with anomaly detection on (like `with torch.autograd.detect_anomaly():`).
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard() : previous_(autograd::anomaly_mode_enabled()) { autograd::set_detect_anomaly(true); }
  ~DetectAnomalyGuard() { autograd::set_detect_anomaly(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace ember
