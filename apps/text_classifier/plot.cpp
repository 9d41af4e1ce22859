// Draws two small line charts side by side, with axes, ticks and a legend, in plain SVG.
#include "apps/text_classifier/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace ember::apps {
namespace {

constexpr double kPanelWidth = 420, kPanelHeight = 300, kMargin = 50;

std::string panel(const std::vector<CurvePoint>& pts, double x0, const std::string& title,
                  const std::function<double(const CurvePoint&)>& train, const std::function<double(const CurvePoint&)>& valid,
                  bool percent) {
  double lo = 1e300, hi = -1e300;
  for (const auto& p : pts) {
    lo = std::min({lo, train(p), valid(p)});
    hi = std::max({hi, train(p), valid(p)});
  }
  if (percent) lo = std::max(0.0, lo - 0.05), hi = std::min(1.0, hi + 0.05);
  if (hi - lo < 1e-9) hi = lo + 1;
  const double first = pts.front().epoch, last = std::max(pts.back().epoch, first + 1);
  const double w = kPanelWidth - 2 * kMargin, h = kPanelHeight - 2 * kMargin;
  auto X = [&](double e) { return x0 + kMargin + (e - first) / (last - first) * w; };
  auto Y = [&](double v) { return kMargin + (1 - (v - lo) / (hi - lo)) * h; };
  std::string s = fmt::format("<text x='{}' y='25' font-size='15' text-anchor='middle'>{}</text>\n", x0 + kPanelWidth / 2, title);
  s += fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#444'/>\n", x0 + kMargin, kMargin, w, h);
  for (int i = 0; i <= 4; ++i) {
    const double v = lo + (hi - lo) * i / 4;
    s += fmt::format("<text x='{}' y='{}' font-size='11' text-anchor='end'>{}</text>\n", x0 + kMargin - 5, Y(v) + 4,
                     percent ? fmt::format("{:.0f}%", 100 * v) : fmt::format("{:.3f}", v));
    s += fmt::format("<line x1='{}' x2='{}' y1='{}' y2='{}' stroke='#ddd'/>\n", x0 + kMargin, x0 + kMargin + w, Y(v), Y(v));
  }
  for (const auto& p : pts)
    s += fmt::format("<text x='{}' y='{}' font-size='11' text-anchor='middle'>{:g}</text>\n", X(p.epoch), kMargin + h + 15, p.epoch);
  s += fmt::format("<text x='{}' y='{}' font-size='12' text-anchor='middle'>epoch</text>\n", x0 + kMargin + w / 2, kMargin + h + 32);
  auto line = [&](const std::function<double(const CurvePoint&)>& f, const char* color) {
    std::string path;
    for (const auto& p : pts) path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "" : " ", X(p.epoch), Y(f(p)));
    std::string out = fmt::format("<polyline points='{}' fill='none' stroke='{}' stroke-width='2'/>\n", path, color);
    for (const auto& p : pts) out += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='3' fill='{}'/>\n", X(p.epoch), Y(f(p)), color);
    return out;
  };
  s += line(train, "#1f77b4") + line(valid, "#d62728");
  s += fmt::format("<text x='{}' y='{}' font-size='12' fill='#1f77b4'>train</text>\n", x0 + kMargin + 8, kMargin + 16);
  s += fmt::format("<text x='{}' y='{}' font-size='12' fill='#d62728'>valid</text>\n", x0 + kMargin + 8, kMargin + 32);
  return s;
}

}  // namespace

std::string training_curves_svg(const std::vector<CurvePoint>& points) {
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' font-family='sans-serif'>\n"
      "<rect width='100%' height='100%' fill='white'/>\n",
      2 * kPanelWidth, kPanelHeight);
  if (points.empty()) return svg + "<text x='20' y='40'>no epochs</text>\n</svg>\n";
  svg += panel(points, 0, "loss", [](const CurvePoint& p) { return p.train_loss; }, [](const CurvePoint& p) { return p.valid_loss; }, false);
  svg += panel(points, kPanelWidth, "accuracy", [](const CurvePoint& p) { return p.train_acc; }, [](const CurvePoint& p) { return p.valid_acc; }, true);
  return svg + "</svg>\n";
}

}  // namespace ember::apps
