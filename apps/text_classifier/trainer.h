// The three commands of text_classifier: train, evaluate, predict.
#pragma once

#include "apps/common/cli.h"

#include <istream>

namespace ember::apps {

int run_train(const CommandLine& cli);
int run_evaluate(const CommandLine& cli);
int run_predict(const CommandLine& cli, std::istream& in);

}  // namespace ember::apps
