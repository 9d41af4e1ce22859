// Grad mode and anomaly mode: per-thread switches read by record() and the engine.
#include "autograd/grad_mode.h"

namespace ember::autograd {
namespace {
thread_local bool grad_mode = true;
bool anomaly_mode = false;  // global, like torch.autograd.set_detect_anomaly
thread_local bool backward_trace = false;
}  // namespace

bool grad_mode_enabled() { return grad_mode; }
void set_grad_mode(bool enabled) { grad_mode = enabled; }
bool anomaly_mode_enabled() { return anomaly_mode; }
void set_detect_anomaly(bool enabled) { anomaly_mode = enabled; }
bool backward_trace_enabled() { return backward_trace; }
void set_backward_trace(bool enabled) { backward_trace = enabled; }

}  // namespace ember::autograd
