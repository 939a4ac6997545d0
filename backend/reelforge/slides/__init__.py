"""Content slides: each scene's title, bullets, figure or quote laid out and drawn as stills.

`layout.layout_slide` turns a scene into a `SlideLayout`, a value listing text boxes that always
fit their frame (wrapped, shrunk, ellipsized at worst) and stay clear of the caption zone and the
Ken Burns crop; `render.render_slide` draws it with Pillow, one PNG per reveal step, so bullets
can appear one by one in step with the narration. `fonts.FontSet` picks, for each run of text, a
bundled font that has its characters (Latin, Greek, Cyrillic, Arabic, Hebrew, CJK) and shapes
right-to-left text; text no bundled font can show is refused with TEXT_NOT_RENDERABLE.
"""
