"""JAX: gradients with `jax.value_and_grad` over stateless calls.

Keras' JAX trainer passes the whole training state in (trainable, non-trainable, optimizer,
metrics values) and expects it back; the model's own variables hold nothing during `fit()`.
We open one `keras.StatelessScope` mapping every variable to its state value, so the shared
iteration reads and "assigns" variables as on the other backends, and collect the new values
from the scope at the end. Gradients are taken of a pure function of the differentiated
variables' values, evaluated in a child scope; its other updates (BatchNorm statistics, seed
state) are written back to the parent scope.
"""

import jax
import jax.numpy as jnp
import keras

from singan_keras.backends.common import plain_adam_update


class TrainStep:
    # -- Keras entry point ---------------------------------------------------------------
    def train_step(self, state, data):
        trainable, non_trainable, optimizer_values, metrics_values = state
        groups = (self.trainable_variables, self.non_trainable_variables, self.optimizer.variables)
        mapping = [
            (variable, value)
            for variables, values in zip(
                groups, (trainable, non_trainable, optimizer_values), strict=True
            )
            for variable, value in zip(variables, values, strict=True)
        ]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            self._scopes = [scope]
            logs = self.singan_iteration()
        new_state = tuple([scope.get_current_value(v) for v in variables] for variables in groups)
        return logs, (*new_state, metrics_values)

    def run_outside_fit(self, fn):
        mapping = [(v, v.value) for v in self.variables]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            self._scopes = [scope]
            return fn()

    # -- gradients of a loss -------------------------------------------------------------
    def compute_gradients(self, loss_fn, variables):
        parent = self._scopes[-1]
        keys = [id(v) for v in variables]

        def pure(values):
            with _child_scope(parent, dict(zip(keys, values, strict=True))) as scope:
                self._scopes.append(scope)
                try:
                    loss, aux = loss_fn()
                finally:
                    self._scopes.pop()
            return loss, (aux, scope.state_mapping)

        values = [parent.state_mapping[key] for key in keys]
        (loss, (aux, updated)), grads = jax.value_and_grad(pure, has_aux=True)(values)
        differentiated = set(keys)
        parent.state_mapping.update({k: v for k, v in updated.items() if k not in differentiated})
        return loss, aux, grads

    # -- one optimizer update ------------------------------------------------------------
    def apply_gradients(self, optimizer, grads, variables):
        plain_adam_update(optimizer, grads, variables)  # assignments land in the current scope

    # -- input gradient for the penalty (differentiable) ---------------------------------
    def input_gradient(self, fn, x):
        parent = self._scopes[-1]

        def total(x):
            with _child_scope(parent, {}) as scope:
                return jnp.sum(fn(x)), scope.state_mapping

        gradient, updated = jax.grad(total, has_aux=True)(x)
        # Keep the BatchNorm statistics this call moved, as the other backends and the
        # reference do (tests/test_iteration_parity.py compares them).
        parent.state_mapping.update(updated)
        return gradient

    # -- after the scale's fit() ---------------------------------------------------------
    def release_compiled_step(self):
        # Drop the jitted step: its compiled programs are cached on the jitted function
        # object and go with it (no process-wide `jax.clear_caches()`, which would also drop
        # every jitted function of the user's program).
        self.train_function = None


def _child_scope(parent, overrides):
    """A StatelessScope starting from `parent`'s values, with some values replaced."""
    scope = keras.StatelessScope()
    scope.state_mapping = {**parent.state_mapping, **overrides}
    return scope
