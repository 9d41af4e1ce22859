// `transe train`: load or generate the graph, train TransE, report filtered link-prediction
// metrics on the validation set while training and on the test set at the end.
#pragma once

#include "apps/common/cli.h"

namespace ember::apps::transe {

int run_train(const CommandLine& cli);

}  // namespace ember::apps::transe
