"""PyTorch: gradients with `torch.autograd.grad` (``create_graph=True`` for the penalty)."""

import torch


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
        aux = torch.utils._pytree.tree_map(lambda t: t.detach(), aux)
        return loss.detach(), aux, list(grads)

    # -- one optimizer update ------------------------------------------------------------
    def apply_gradients(self, optimizer, grads, variables):
        with torch.no_grad():
            optimizer.apply(grads, variables)

    # -- input gradient for the penalty (differentiable) ---------------------------------
    def input_gradient(self, fn, x):
        x = x.detach().requires_grad_(True)
        total = fn(x).sum()
        (gradient,) = torch.autograd.grad(total, x, create_graph=True)
        return gradient

    # -- after the scale's fit() ---------------------------------------------------------
    def release_compiled_step(self):
        pass  # eager: nothing compiled is kept
