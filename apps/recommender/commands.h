// The recommender's two commands: `train` (fit, report RMSE, optionally save a checkpoint) and
// `recommend` (the top-K unseen items of one user, from a checkpoint).
#pragma once

#include "apps/common/cli.h"

namespace ember::apps::recommender {

int run_train(const CommandLine& cli);
int run_recommend(const CommandLine& cli);

}  // namespace ember::apps::recommender
