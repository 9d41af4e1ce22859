// Training curves as a self-contained SVG: loss (left) and accuracy (right) per epoch.
#pragma once

#include <string>
#include <vector>

namespace ember::apps {

struct CurvePoint {
  double epoch, train_loss, valid_loss, train_acc, valid_acc;
};

std::string training_curves_svg(const std::vector<CurvePoint>& points);

}  // namespace ember::apps
