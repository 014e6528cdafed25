//! What every Lathe editor does around its own layout: the suite's theme in the plugin's accent,
//! the persisted scale, the host's `GuiContext` while the window is open, the frame clock for
//! meter ballistics and the repaint policy ([`super::repaint`]). A plugin's editor is a [`Page`]:
//! its widgets and what it draws; [`create`] wraps it in a [`Shell`], the `NiceEguiApp` that
//! nice-plug-egui runs.

use super::repaint::{FrameClock, FRAME};
use super::{scale, theme};
use egui::{Color32, Ui};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};
use std::sync::Arc;

/// One plugin's editor content.
pub trait Page: Send + 'static {
    /// The window title the host shows (and the editor test finds the window by).
    const TITLE: &'static str;
    /// The plugin's accent colour ([`theme::accent`]).
    const ACCENT: Color32;

    /// The persisted editor scale (`#[persist = "editor-scale"]`, see [`scale`]).
    fn scale(&self) -> &AtomicF32;

    /// The window opened (again): attach to audio-thread streams here.
    fn opened(&mut self) {}

    /// The window closed: stop what only makes sense while it is open.
    fn closed(&mut self) {}

    /// Draws one frame, `dt` seconds after the previous one. Returns whether something still
    /// moves (falling meters, hold lines), so frames keep coming only then.
    fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter, dt: f32) -> bool;
}

/// The `NiceEguiApp` around a [`Page`].
pub struct Shell<P> {
    page: P,
    gui: Option<GuiContext>,
    clock: FrameClock,
}

pub type Editor<P> = EguiEditor<Shell<P>>;

/// The editor for `page`, repainted when `notifier` (the audio thread's wake) or input asks,
/// at most every [`FRAME`].
pub fn create<P: Page>(
    page: P,
    state: Arc<EguiEditorState>,
    notifier: RepaintNotifier,
) -> Option<Editor<P>> {
    let shell = Shell {
        page,
        gui: None,
        clock: FrameClock::default(),
    };
    create_egui_editor(
        state,
        notifier,
        EguiNiceSettings::new()
            .with_tile(P::TITLE)
            .with_repaint_poll_interval(FRAME),
        shell,
    )
}

impl<P: Page> NiceEguiApp for Shell<P> {
    fn build(
        &mut self,
        ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        theme::apply(&ctx, P::ACCENT);
        scale::restore(&ctx, self.page.scale());
        self.page.opened();
        self.gui = Some(gui);
        Ok(())
    }

    fn editor_closed(&mut self) {
        self.page.closed();
        self.gui = None;
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let dt = self.clock.tick();
        let moving = self.page.draw(ui, &gui.param_setter(), dt);
        self.clock.keep_alive(ui.ctx(), moving);
    }
}
