"""The applications of a trained SinGAN (paper §4): each its own module, one sampler for all.

| function | paper | module |
|---|---|---|
| `super_resolve`, `super_resolution_config` | Fig. 10 | `super_resolution` |
| `paint_to_image` | Fig. 11 | `paint` |
| `edit`, `harmonize` | Figs. 12, 13 | `editing` |
| `animate`, `save_animation` | Fig. 1 | `animation` |
| `start_scale_figure` | Fig. 8 | `figures` |
| `inject`, `injection_input`, `load_user_image` | §4 | `injection` |
| `color_palette`, `quantize_colors` | Fig. 11 | `paint` |
| `load_mask`, `blend_mask`, `blend` | Figs. 12, 13 | `editing` |
| `random_walk`, `mp4_writer_available` | Fig. 1 | `animation` |
| `mask_from_difference`, `mask_from_rectangle`, `mask_from_polygon` | Figs. 12, 13 | `masks` |
| `mask_from_color`, `clean_mask`, `mask_outline`, `save_mask` | Figs. 12, 13 | `masks` |
| `naive_composite` | Fig. 13 | `masks` |

Every application runs the pyramid with `singan_keras.sampling.run_pyramid`, the sampler of
`SinGAN.sample`, fed its own noise or start image. Paint-to-image, editing and
harmonization inject a user image at a coarse scale n and generate the finer scales
(`injection`); scale 0 is the coarsest, so n runs from 1 to
``model.num_scales - 1``. Every function takes a `seed`; noise is drawn with numpy, so a
seed gives the same result under TensorFlow, JAX and PyTorch. User inputs are validated and
errors are a `ValueError` whose message names the command-line flag and the allowed range.

The names load on first use, so importing this package starts no backend.

Example:
    >>> from singan_keras.applications import super_resolution_config
    >>> super_resolution_config(2).reconstruction_weight
    100.0
"""

import importlib

_EXPORTS = {
    "super_resolve": "super_resolution",
    "super_resolution_config": "super_resolution",
    "super_resolution_steps": "super_resolution",
    "paint_to_image": "paint",
    "edit": "editing",
    "harmonize": "editing",
    "animate": "animation",
    "save_animation": "animation",
    "start_scale_figure": "figures",
    "inject": "injection",
    # The building blocks, for readers who take an application apart (tutorials 07-09).
    "injection_input": "injection",
    "load_user_image": "injection",
    "color_palette": "paint",
    "quantize_colors": "paint",
    "load_mask": "editing",
    "blend_mask": "editing",
    "blend": "editing",
    "random_walk": "animation",
    "mp4_writer_available": "animation",
    # Making the inputs of editing and harmonization (tutorial 08).
    "clean_mask": "masks",
    "mask_from_color": "masks",
    "mask_from_difference": "masks",
    "mask_from_polygon": "masks",
    "mask_from_rectangle": "masks",
    "mask_outline": "masks",
    "naive_composite": "masks",
    "save_mask": "masks",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"singan_keras.applications.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'singan_keras.applications' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
