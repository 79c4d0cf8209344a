"""Fast path 4 of `singan_keras.backends`: the critic's convolutions on JAX-on-CPU.

The WGAN-GP penalty differentiates the critic twice: its parameter gradient goes through
∂D/∂x. XLA:CPU runs the first-order convolution gradients at a few times PyTorch's cost,
but the convolutions that appear in the *second* derivative fall off its fast convolution
path: one 3×3, 32-channel layer at 188×250 takes ~2.6 s for the penalty's gradient (PyTorch:
~0.1 s), ~45 s at 128 channels, which made a JAX iteration 8× slower than PyTorch's at
that size.

`Conv2D` computes the same 3×3 "valid" convolution as one matrix product over the 9 shifted
copies of the input (im2col). Its derivatives of every order are matrix products, slices and
pads, which XLA:CPU runs well: the penalty's gradient for that layer drops to ~0.24 s (1.7 s at
128 channels), at the price of a ~1.5× slower forward pass and 9 copies of each input held
for the backward pass. So it is used for the critic only, and only when JAX runs on the CPU
(GPU convolutions do not have this problem). `benchmarks/conv.py` measures all of this;
``SINGAN_KERAS_FAST_PATHS=0`` turns it off.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["Conv2D"]


@keras.saving.register_keras_serializable(package="singan_keras")
class Conv2D(keras.layers.Conv2D):
    """Keras Conv2D computed as im2col + one matrix product (channels_last, valid, stride 1).

    The class keeps Keras' name on purpose: a ``.weights.h5`` file keys each layer's
    variables by its class name, so weights move between backends unchanged.
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
        kernel_h, kernel_w, in_channels, out_channels = kernel.shape
        out_h = inputs.shape[1] - kernel_h + 1
        out_w = inputs.shape[2] - kernel_w + 1
        columns = ops.concatenate(
            [
                inputs[:, i : i + out_h, j : j + out_w, :]
                for i in range(kernel_h)
                for j in range(kernel_w)
            ],
            axis=-1,
        )  # (N, H', W', 9·C_in), ordered like the kernel's (kh, kw, C_in) axes
        matrix = ops.reshape(kernel, (kernel_h * kernel_w * in_channels, out_channels))
        outputs = ops.einsum("nhwc,cd->nhwd", columns, matrix)
        if self.use_bias:
            outputs = outputs + self.bias
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs
