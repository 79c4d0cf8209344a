"""Fast path 4 of `singan_keras.backends`: every network convolution on JAX-on-CPU.

SinGAN's convolutions are 3×3, "valid", stride 1. The train step differentiates them once
(the generator and critic losses) and the critic's twice (the WGAN-GP penalty's parameter
gradient goes through ∂D/∂x). JAX derives each derivative of ``lax.conv_general_dilated``
as another convolution with other dimension numbers and paddings, and XLA:CPU runs some of
those forms far slower than others. Measured on one core, one 3×3 layer at 188×250
(``benchmarks/conv.py``; PyTorch's ``F.conv2d`` for scale):

* an *unpadded* ("valid") forward convolution: 33 ms (32 channels), 306 ms (128); the same
  convolution with one column of zero padding, then cropped: 6 ms and 100 ms (PyTorch:
  5.5 ms and 77 ms);
* the kernel gradient, a convolution whose window is the whole image: 35 ms and 660 ms;
  the same sum as one matrix product: 32 ms and 220 ms;
* the penalty gradient through the layer (its second derivative): 1.7 s and 56 s.

So this module writes the convolution and its two transposes as three functions, each
with a `jax.custom_vjp` that names the other two as its derivatives. Every derivative of
every order is then one of the three, each in the form XLA:CPU runs fast:

    y  = convolve(x, k)              y[n,h,w,o]  = Σ_{i,j,c} x[n,h+i,w+j,c] k[i,j,c,o]
    dx = transpose_to_input(dy, k)   dx[n,p,q,c] = Σ_{i,j,o} dy[n,p-i,q-j,o] k[i,j,c,o]
    dk = transpose_to_kernel(x, dy)  dk[i,j,c,o] = Σ_{n,h,w} x[n,h+i,w+j,c] dy[n,h,w,o]

All three are bilinear, and each is the transpose of another in either argument:
∂⟨convolve(x,k), g⟩ = (transpose_to_input(g,k), transpose_to_kernel(x,g)),
∂⟨transpose_to_input(dy,k), g⟩ = (convolve(g,k), transpose_to_kernel(g,dy)),
∂⟨transpose_to_kernel(x,dy), g⟩ = (transpose_to_input(dy,g), convolve(x,g)).

The forward is a convolution padded by one zero column on the right and cropped back;
``transpose_to_input`` is the "full" convolution with the flipped kernel (padded on every
side); ``transpose_to_kernel`` is one matrix product: the kernel's rows i stacked along
the channels of x (N·H'·W × kh·C) against the output gradient shifted by each column j
(N·H'·W × kw·O, zero-padded to width W). Against the earlier im2col critic (one product
over 9 shifted copies of the input) the layer's forward, gradient and penalty gradient at
188×250 take 7 / 45 / 85 ms instead of 65 / 114 / 233 ms (32 channels) and 113 / 419 /
682 ms instead of 322 / 731 / 1413 ms (128 channels); PyTorch's: 5.5 / 21 / 73 and 77 /
311 / 841 ms. GPU convolutions have none of these slow forms,
so the class is used only when JAX runs on the CPU; ``SINGAN_KERAS_FAST_PATHS=0`` turns it
off.

Example (the same numbers as Keras' own layer, to float round-off):

    >>> import numpy as np, keras
    >>> from singan_keras.backends.jax.convolution import Conv2D
    >>> x = np.random.default_rng(0).normal(size=(1, 12, 20, 4)).astype("float32")
    >>> plain, fast = keras.layers.Conv2D(8, 3), Conv2D(8, 3)
    >>> plain.build(x.shape); fast.build(x.shape)
    >>> fast.set_weights(plain.get_weights())
    >>> bool(np.allclose(fast(x), plain(x), atol=1e-5)), fast(x).shape
    (True, (1, 10, 18, 8))
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras
from jax import lax

__all__ = ["Conv2D", "convolve", "transpose_to_input", "transpose_to_kernel"]

_NHWC_HWIO = ("NHWC", "HWIO", "NHWC")


@jax.custom_vjp
def convolve(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """Valid, stride-1 convolution: (N, H, W, C) ⊛ (kh, kw, C, O) → (N, H-kh+1, W-kw+1, O)."""
    # One zero column on the right moves XLA:CPU off its slow unpadded path (3-5x faster);
    # the extra output column is cropped.
    padded = lax.conv_general_dilated(
        x, kernel, (1, 1), ((0, 0), (0, 1)), dimension_numbers=_NHWC_HWIO
    )
    return padded[:, :, :-1, :]


@jax.custom_vjp
def transpose_to_input(output_gradient: jax.Array, kernel: jax.Array) -> jax.Array:
    """∂⟨convolve(x, kernel), output_gradient⟩/∂x: the full convolution with the flipped kernel."""
    kernel_h, kernel_w = kernel.shape[:2]
    return lax.conv_general_dilated(
        output_gradient,
        jnp.flip(kernel, (0, 1)),
        (1, 1),
        ((kernel_h - 1, kernel_h - 1), (kernel_w - 1, kernel_w - 1)),
        dimension_numbers=("NHWC", "HWOI", "NHWC"),  # the kernel's in/out roles swapped
    )


@jax.custom_vjp
def transpose_to_kernel(x: jax.Array, output_gradient: jax.Array) -> jax.Array:
    """∂⟨convolve(x, k), output_gradient⟩/∂k, as one matrix product (see the module)."""
    batch, height, width, channels = x.shape
    out_h, out_w, out_channels = output_gradient.shape[1:]
    kernel_h, kernel_w = height - out_h + 1, width - out_w + 1
    # rows[n,h,w, i·C + c] = x[n, h+i, w, c]: the kernel's row offset i along the channels
    rows = jnp.concatenate([x[:, i : i + out_h] for i in range(kernel_h)], axis=-1)
    # shifted[n,h,w, j·O + o] = dy[n, h, w-j, o] (zero outside): column offset j
    shifted = jnp.concatenate(
        [
            jnp.pad(output_gradient, ((0, 0), (0, 0), (j, kernel_w - 1 - j), (0, 0)))
            for j in range(kernel_w)
        ],
        axis=-1,
    )
    pixels = batch * out_h * width
    product = rows.reshape(pixels, kernel_h * channels).T @ shifted.reshape(
        pixels, kernel_w * out_channels
    )  # [(i, c), (j, o)] = Σ_{n,h,w} x[n,h+i,w+j,c] dy[n,h,w,o]
    return product.reshape(kernel_h, channels, kernel_w, out_channels).transpose(0, 2, 1, 3)


def _save_both(function):
    return lambda first, second: (function(first, second), (first, second))


convolve.defvjp(
    _save_both(convolve),
    lambda saved, g: (transpose_to_input(g, saved[1]), transpose_to_kernel(saved[0], g)),
)
transpose_to_input.defvjp(
    _save_both(transpose_to_input),
    lambda saved, g: (convolve(g, saved[1]), transpose_to_kernel(g, saved[0])),
)
transpose_to_kernel.defvjp(
    _save_both(transpose_to_kernel),
    lambda saved, g: (transpose_to_input(saved[1], g), convolve(saved[0], g)),
)


@keras.saving.register_keras_serializable(package="singan_keras")
class Conv2D(keras.layers.Conv2D):
    """Keras Conv2D computed with `convolve` (channels_last, valid, stride 1, no groups).

    Other configurations fall back to Keras' own call. The class keeps Keras' name on
    purpose: a ``.weights.h5`` file keys each layer's variables by its class name, so
    weights move between backends unchanged.
    """

    def call(self, inputs):
        supported = (
            self.data_format == "channels_last"
            and self.padding == "valid"
            and tuple(self.strides) == (1, 1)
            and tuple(self.dilation_rate) == (1, 1)
            and self.groups == 1
        )
        if not supported:
            return super().call(inputs)
        kernel = self.kernel.value if isinstance(self.kernel, keras.Variable) else self.kernel
        outputs = convolve(jnp.asarray(inputs), jnp.asarray(kernel, dtype=inputs.dtype))
        if self.use_bias:
            outputs = outputs + self.bias
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs
