"""Pieces the classroom app's pages share: the style sheet and the lever control.

Kept apart from :mod:`sim.app.page` and :mod:`sim.app.classroom_page` so
that neither page imports the other.
"""

from __future__ import annotations

import solara

from sim.app import plots as app_plots
from sim.app.session import Lever

CSS = f"""
.rs-layout {{ display: grid; grid-template-columns: 290px minmax(0, 1fr); gap: 10px; padding: 6px; }}
.rs-controls {{ font-size: 15px; }}
.rs-controls .v-input {{ margin-top: 0 !important; padding-top: 0 !important; }}
.rs-controls .v-input__slot {{ margin-bottom: 0 !important; }}
.rs-controls .v-text-field__details {{ margin-bottom: 2px !important; }}
.rs-controls .v-messages__message {{ font-size: 14px; line-height: 1.25; white-space: normal; }}
.rs-lever {{ margin-bottom: 6px; }}
.rs-lever-label {{ font-size: 15px; line-height: 1.2; color: #222; white-space: normal; }}
.rs-lever-unit {{ color: #666; font-size: 13px; }}
.rs-lever .v-slider {{ margin-top: -4px; }}
.rs-buttons .v-btn {{ min-width: 0 !important; padding: 0 10px !important; font-size: 15px; }}
.rs-headline {{ display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 17px; }}
.rs-headline-item {{ white-space: nowrap; }}
.rs-readout-value {{ font-weight: 700; font-variant-numeric: tabular-nums; }}
.rs-window {{ font-size: 15px; color: #444; }}
.rs-month {{ font-size: 18px; font-weight: 700; }}
.rs-plots {{ display: grid; grid-template-columns: repeat(2, minmax({app_plots.MIN_PANEL_PX}px, 1fr)); gap: 6px; }}
.rs-plot svg {{ width: 100%; height: auto; display: block; }}
.rs-legend {{ font-size: 16px; display: flex; flex-wrap: wrap; gap: 0 14px; padding-left: 18%; }}
.rs-notes {{ font-size: 16px; line-height: 1.45; }}
.rs-notes h4 {{ font-size: 17px; font-weight: 700; margin: 12px 0 4px 0; }}
.rs-story-step {{ font-size: 16px; line-height: 1.45; margin-bottom: 10px; }}
.rs-try .v-btn {{ text-transform: none !important; white-space: normal; height: auto !important;
                  min-height: 36px; padding: 4px 10px !important; justify-content: flex-start; text-align: left; }}
.rs-try .v-btn__content {{ white-space: normal; flex-shrink: 1; }}
.rs-guide {{ font-size: 15px; color: #333; }}
.rs-table table {{ border-collapse: collapse; font-size: 15px; }}
.rs-table td, .rs-table th {{ border: 1px solid #ccc; padding: 2px 6px; }}
.v-tab {{ font-size: 16px !important; text-transform: none !important; }}
.v-window-item, .v-window__container {{ transition: none !important; }}
"""


def slug(key: str) -> str:
    return key.replace(".", "-").replace("_", "-")


@solara.component
def LeverControl(lever: Lever, value, on_set, disabled: bool = False):
    """A lever: its label on a line of its own (never cut off), then a text field (type a value) above a
    slider, or a switch, or a choice.

    ``on_set(key, raw)`` returns None or the message to show under the field.
    """
    shown = lever.format(value)
    text, set_text = solara.use_state(shown)
    error, set_error = solara.use_state(None)

    def sync():
        set_text(shown)
        set_error(None)

    solara.use_effect(sync, [shown])

    def typed(raw):
        set_text(raw or "")
        set_error(on_set(lever.key, raw))

    def moved(new):
        set_error(on_set(lever.key, new))

    css = f"rs-lever rs-lever-{slug(lever.key)}"
    with solara.Column(gap="0px", classes=[css]):
        unit = f" ({lever.unit})" if lever.unit and lever.kind in ("float", "int") else ""
        solara.HTML(tag="div", unsafe_innerHTML=f"{lever.label}<span class='rs-lever-unit'>{unit}</span>",
                    classes=["rs-lever-label"])
        if lever.kind == "bool":
            solara.Switch(label="on" if value else "off", value=bool(value), on_value=moved, disabled=disabled)
            return
        if lever.kind == "choice":
            solara.Select("", values=list(lever.choices), value=value, on_value=moved, dense=True,
                          disabled=disabled)
            return
        solara.InputText("", value=text, on_value=typed, error=bool(error), message=error, dense=True,
                         disabled=disabled, classes=[f"rs-input-{slug(lever.key)}"])
        if lever.key != "seed":  # a seed is typed, not slid
            slider = solara.SliderFloat if lever.kind == "float" else solara.SliderInt
            slider("", value=value, min=lever.lo, max=lever.hi, step=lever.step, on_value=moved,
                   thumb_label=False, disabled=disabled)
