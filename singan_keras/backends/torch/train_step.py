"""PyTorch: gradients with `torch.autograd.grad` (``create_graph=True`` for the penalty)."""

import keras
import torch

from singan_keras.backends.common import FAST_PATHS, plain_adam_update
from singan_keras.backends.torch.fused import foreach_adam_update

# Fast path 7 of `singan_keras.backends`: one foreach update instead of ~10 ops per variable.
_adam_update = foreach_adam_update if FAST_PATHS else plain_adam_update


class TrainStep:
    # -- Keras entry point ---------------------------------------------------------------
    def train_step(self, data):
        return self.singan_iteration()

    def run_outside_fit(self, fn):
        return fn()

    # -- gradients of a loss -------------------------------------------------------------
    def compute_gradients(self, loss_fn, variables):
        loss, aux = loss_fn()
        grads = torch.autograd.grad(loss, [v.value for v in variables])
        aux = keras.tree.map_structure(lambda t: t.detach(), aux)
        return loss.detach(), aux, list(grads)

    # -- one optimizer update ------------------------------------------------------------
    def apply_gradients(self, optimizer, grads, variables):
        with torch.no_grad():
            _adam_update(optimizer, grads, variables)

    # -- input gradient for the penalty (differentiable) ---------------------------------
    def input_gradient(self, fn, x):
        x = x.detach().requires_grad_(True)
        total = fn(x).sum()
        (gradient,) = torch.autograd.grad(total, x, create_graph=True)
        return gradient

    # -- after the scale's fit() ---------------------------------------------------------
    def release_compiled_step(self):
        self.train_function = None  # eager: nothing compiled is kept
