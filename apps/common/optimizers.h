// The seed's recipe for models with sparse embeddings: SparseAdam for the tables that produce
// row-sparse gradients (Embedding(sparse=true)), Adam for every other trainable parameter.
#pragma once

#include "optim/adam.h"
#include "optim/sparse_adam.h"

#include <memory>
#include <vector>

namespace ember::apps {

struct SparseDenseOptimizers {
  std::unique_ptr<optim::Adam> dense;
  std::unique_ptr<optim::SparseAdam> sparse;

  // Parameters that do not require grad (a frozen pretrained embedding) are left out.
  SparseDenseOptimizers(const std::vector<Tensor>& dense_params, const std::vector<Tensor>& sparse_params, double lr) {
    auto trainable = [](const std::vector<Tensor>& params) {
      std::vector<Tensor> out;
      for (const Tensor& p : params)
        if (p.requires_grad()) out.push_back(p);
      return out;
    };
    if (auto d = trainable(dense_params); !d.empty()) dense = std::make_unique<optim::Adam>(d, optim::AdamOptions(lr));
    if (auto s = trainable(sparse_params); !s.empty())
      sparse = std::make_unique<optim::SparseAdam>(s, optim::SparseAdamOptions(lr));
  }
  void zero_grad() {
    if (dense) dense->zero_grad();
    if (sparse) sparse->zero_grad();
  }
  void step() {
    if (dense) dense->step();
    if (sparse) sparse->step();
  }
};

}  // namespace ember::apps
