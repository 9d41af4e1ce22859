// Grad mode: whether differentiable ops record on the tape (per thread, on by default).
#pragma once

namespace ember {

namespace autograd {
bool grad_mode_enabled();
void set_grad_mode(bool enabled);
// Anomaly mode: backward checks every gradient it computes for NaN/Inf and names the op.
bool anomaly_mode_enabled();
void set_detect_anomaly(bool enabled);
// Backward tracing: the engine notes on each node its order, time and input-gradient norms
// (Node::backward_order, backward_ms, input_grad_norms), for autograd::to_html.
bool backward_trace_enabled();
void set_backward_trace(bool enabled);
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

// Scope in which backward notes what it did on every node it runs (autograd/tape_html.h draws it).
class TraceBackwardGuard {
 public:
  TraceBackwardGuard() : previous_(autograd::backward_trace_enabled()) { autograd::set_backward_trace(true); }
  ~TraceBackwardGuard() { autograd::set_backward_trace(previous_); }
  TraceBackwardGuard(const TraceBackwardGuard&) = delete;
  TraceBackwardGuard& operator=(const TraceBackwardGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace ember
