"""JAX: gradients with `jax.value_and_grad` over stateless calls.

Keras' JAX trainer passes the whole training state in (trainable, non-trainable, optimizer,
metrics values) and expects it back; the model's own variables hold nothing during `fit()`.
We open one `keras.StatelessScope` mapping every variable to its state value, so the shared
iteration reads and "assigns" variables as on the other backends, and collect the new values
from the scope at the end. Gradients are taken of a pure function of the differentiated
variables' values, evaluated in a child scope; its other updates (BatchNorm statistics, seed
state) are written back to the parent scope.
"""

import os
from pathlib import Path

import jax
import jax.numpy as jnp
import keras


def _enable_persistent_compile_cache() -> None:
    """Cache compiled train steps on disk: a scale of the same size then compiles once.

    Respects a cache directory the user configured (``JAX_COMPILATION_CACHE_DIR``);
    ``SINGAN_KERAS_JAX_CACHE=0`` turns ours off.
    """
    if jax.config.jax_compilation_cache_dir or os.environ.get("SINGAN_KERAS_JAX_CACHE") == "0":
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "singan_keras" / "jax"
    jax.config.update("jax_compilation_cache_dir", str(cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


_enable_persistent_compile_cache()


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
        optimizer.apply(grads, variables)  # its assignments land in the current scope

    # -- input gradient for the penalty (differentiable) ---------------------------------
    def input_gradient(self, fn, x):
        parent = self._scopes[-1]

        def total(x):
            with _child_scope(parent, {}):  # BatchNorm updates inside are discarded
                return jnp.sum(fn(x))

        return jax.grad(total)(x)

    # -- after the scale's fit() ---------------------------------------------------------
    def release_compiled_step(self):
        # JAX keeps every jitted train step in its in-process caches (~45 MiB per scale at
        # 32 channels); the next scale never reuses them (new shapes, new variables). The
        # persistent on-disk cache still serves a scale of the same size in a later run.
        jax.clear_caches()


def _child_scope(parent, overrides):
    """A StatelessScope starting from `parent`'s values, with some values replaced."""
    scope = keras.StatelessScope()
    scope.state_mapping = {**parent.state_mapping, **overrides}
    return scope
