"""Inputs for the application tutorials, made from the bundled images by `make_extras.py`.

Files (all the size of the image they come from; provenance in `../LICENSES.md`):
``rocket_paint.png`` (paint-to-image), ``brick_edited.png`` + ``brick_edited_mask.png``
(editing), ``hubble_deep_field_composite.png`` + ``hubble_deep_field_composite_mask.png``
(harmonization).
"""
