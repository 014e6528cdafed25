//! The suite's look: one dark theme (deep neutral greys so meters and curves carry the colour),
//! one accent per plugin, proportional text for labels and a monospaced face for values so
//! numbers do not jitter while they change.

use egui::{Color32, Context, CornerRadius, FontFamily, FontId, Stroke, TextStyle};

pub const BACKGROUND: Color32 = Color32::from_rgb(0x17, 0x19, 0x1d);
pub const PANEL: Color32 = Color32::from_rgb(0x21, 0x24, 0x2a);
pub const PANEL_EDGE: Color32 = Color32::from_rgb(0x33, 0x37, 0x3f);
pub const WELL: Color32 = Color32::from_rgb(0x0f, 0x11, 0x14);
pub const GRID: Color32 = Color32::from_rgb(0x2c, 0x30, 0x37);
pub const TEXT: Color32 = Color32::from_rgb(0xe4, 0xe7, 0xec);
pub const TEXT_DIM: Color32 = Color32::from_rgb(0x8a, 0x91, 0x9c);
pub const METER_LOW: Color32 = Color32::from_rgb(0x3d, 0xc7, 0x7a);
pub const METER_MID: Color32 = Color32::from_rgb(0xe8, 0xc5, 0x47);
pub const METER_HIGH: Color32 = Color32::from_rgb(0xeb, 0x4d, 0x4b);
pub const GAIN_REDUCTION: Color32 = Color32::from_rgb(0xf0, 0x8c, 0x3a);

/// Accent colours: one per plugin, so a glance tells which plugin a window belongs to.
pub mod accent {
    use egui::Color32;
    pub const CHANNEL_STRIP: Color32 = Color32::from_rgb(0x4c, 0xa8, 0xf0);
    pub const BUS_GLUE: Color32 = Color32::from_rgb(0xf0, 0xa0, 0x3c);
    pub const MAXIMIZER: Color32 = Color32::from_rgb(0xe0, 0x4f, 0x6a);
    pub const REVERB: Color32 = Color32::from_rgb(0x8f, 0x7c, 0xf0);
}

/// Text sizes in points.
pub const LABEL_SIZE: f32 = 11.0;
pub const VALUE_SIZE: f32 = 11.0;
pub const TITLE_SIZE: f32 = 12.0;

pub fn label_font() -> FontId {
    FontId::new(LABEL_SIZE, FontFamily::Proportional)
}

pub fn value_font() -> FontId {
    FontId::new(VALUE_SIZE, FontFamily::Monospace)
}

pub fn title_font() -> FontId {
    FontId::new(TITLE_SIZE, FontFamily::Proportional)
}

/// Installs the theme on `ctx` with the plugin's `accent`. Call from `NiceEguiApp::build`.
pub fn apply(ctx: &Context, accent: Color32) {
    ctx.all_styles_mut(|style| {
        let v = &mut style.visuals;
        *v = egui::Visuals::dark();
        v.panel_fill = BACKGROUND;
        v.window_fill = PANEL;
        v.extreme_bg_color = WELL;
        v.faint_bg_color = PANEL;
        v.override_text_color = Some(TEXT);
        v.selection.bg_fill = accent.gamma_multiply(0.6);
        v.selection.stroke = Stroke::new(1.0, accent);
        v.hyperlink_color = accent;
        for w in [
            &mut v.widgets.noninteractive,
            &mut v.widgets.inactive,
            &mut v.widgets.hovered,
            &mut v.widgets.active,
            &mut v.widgets.open,
        ] {
            w.corner_radius = CornerRadius::same(3);
        }
        v.widgets.noninteractive.bg_stroke = Stroke::new(1.0, PANEL_EDGE);
        v.widgets.inactive.bg_fill = WELL;
        v.widgets.inactive.weak_bg_fill = WELL;
        v.widgets.hovered.weak_bg_fill = GRID;
        v.widgets.active.weak_bg_fill = accent.gamma_multiply(0.5);
        style.text_styles = [
            (TextStyle::Small, FontId::new(9.0, FontFamily::Proportional)),
            (TextStyle::Body, FontId::new(11.5, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(11.5, FontFamily::Proportional),
            ),
            (
                TextStyle::Heading,
                FontId::new(15.0, FontFamily::Proportional),
            ),
            (TextStyle::Monospace, value_font()),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(6.0, 4.0);
        style.spacing.button_padding = egui::vec2(6.0, 2.0);
        style.interaction.tooltip_delay = 0.4;
    });
}
