//! What a filter's build function gets: its arguments and a way to find layouts.

use std::rc::Rc;

use rquickjs::{Ctx, Function, Object, Value};

use super::FilterDescriptor;
use crate::pipeline::{Filter, FilterInit, FilterProto, FnProto, PipelineLayout};
use crate::script::JsValue;

/// Finds layouts while a codebase is being built.
pub trait Resolver {
    /// A layout by its table index.
    fn by_id(&self, id: usize) -> Option<Rc<PipelineLayout>>;
    /// A named layout of a module.
    fn named(&self, module: usize, name: &str) -> Option<Rc<PipelineLayout>>;
    /// The entrance layout (`.pipeline()`) of a module.
    fn entrance(&self, module: usize) -> Option<Rc<PipelineLayout>>;
    /// Every named layout of a module.
    fn all_named(&self, module: usize) -> Vec<(String, Rc<PipelineLayout>)>;
    /// A module's codebase path.
    fn module_path(&self, module: usize) -> Rc<str>;
}

/// A sub-pipeline reference after resolution.
#[derive(Clone)]
pub enum Sub {
    /// Run this layout.
    Layout(Rc<PipelineLayout>),
    /// No sub-pipeline: events go straight to the filter's output.
    Bypass,
}

impl Sub {
    /// The layout, if not a bypass.
    pub fn layout(&self) -> Option<Rc<PipelineLayout>> {
        match self {
            Sub::Layout(l) => Some(l.clone()),
            Sub::Bypass => None,
        }
    }
}

/// Arguments and context for building one filter prototype.
pub struct Builder<'a, 'js> {
    /// The filter being built.
    pub descriptor: &'static FilterDescriptor,
    /// The JS context.
    pub ctx: &'a Ctx<'js>,
    /// Arguments as the script gave them (a leading sub-pipeline name removed).
    pub args: Vec<Value<'js>>,
    /// The sub-pipeline given by a leading name or `.to()`.
    pub sub: Option<Sub>,
    /// Modules named by `use`/`chain`.
    pub modules: Vec<usize>,
    /// `link(() => name)` form.
    pub dynamic: bool,
    /// The sub-pipeline was given by a leading name: the early ([A]) form of a joint filter.
    pub named_sub: bool,
    /// The module the filter is in.
    pub module: usize,
    /// Layout lookup.
    pub resolver: &'a dyn Resolver,
}

impl<'a, 'js> Builder<'a, 'js> {
    /// Argument `i`, or `None` when missing, `undefined` or `null`.
    pub fn arg(&self, i: usize) -> Option<Value<'js>> {
        self.args
            .get(i)
            .filter(|v| !v.is_undefined() && !v.is_null())
            .cloned()
    }

    /// The prototype of the filter being built, whose instances `make` creates, one a call.
    pub fn prototype(
        &self,
        make: impl Fn(FilterInit) -> Box<dyn Filter> + 'static,
    ) -> Result<Box<dyn FilterProto>, String> {
        Ok(Box::new(FnProto::new(self.descriptor, make)))
    }

    /// The prototype of the joint filter being built, whose instances `make` creates with the
    /// sub-pipeline `layout`; the graph shows `layout` as the filter's sub-pipeline.
    pub fn joint_prototype(
        &self,
        layout: Rc<PipelineLayout>,
        make: impl Fn(FilterInit, &Rc<PipelineLayout>) -> Box<dyn Filter> + 'static,
    ) -> Result<Box<dyn FilterProto>, String> {
        let subs = vec![Some(layout.clone())];
        let proto = FnProto::new(self.descriptor, move |init| make(init, &layout));
        Ok(Box::new(proto.with_subs(subs)))
    }

    /// Saves argument `i` for use at run time.
    pub fn saved(&self, i: usize) -> Option<JsValue> {
        self.arg(i).map(|v| JsValue::save(self.ctx, v))
    }

    /// Argument `i` if it is a function.
    pub fn function(&self, i: usize) -> Option<JsValue> {
        self.arg(i)
            .filter(|v| v.is_function())
            .map(|v| JsValue::save(self.ctx, v))
    }

    /// Argument `i` as a string, if it is one.
    pub fn string(&self, i: usize) -> Option<String> {
        self.arg(i)
            .and_then(|v| v.as_string().and_then(|s| s.to_string().ok()))
    }

    /// Resolves a reference object made by the configuration API.
    pub fn sub_of(&self, v: &Value<'js>) -> Result<Sub, String> {
        let o: &Object = v.as_object().ok_or("expected a sub-pipeline")?;
        if o.contains_key("__bypass").unwrap_or(false) {
            return Ok(Sub::Bypass);
        }
        if let Ok(id) = o.get::<_, usize>("__layout") {
            return self
                .resolver
                .by_id(id)
                .map(Sub::Layout)
                .ok_or_else(|| "pipeline not found".into());
        }
        let name: String = o.get("__ref").map_err(|_| "expected a sub-pipeline")?;
        self.resolver
            .named(self.module, &name)
            .map(Sub::Layout)
            .ok_or_else(|| format!("pipeline not found: {name}"))
    }

    /// The sub-pipeline from a leading name or `.to()`, which this filter requires.
    pub fn required_sub(&self) -> Result<Sub, String> {
        self.sub
            .clone()
            .ok_or_else(|| "needs a sub-pipeline: give its name or use .to(...)".into())
    }

    /// The sub-pipeline a joint filter needs, which may not be bypassed (`''`).
    pub fn required_layout(&self) -> Result<Rc<PipelineLayout>, String> {
        match self.required_sub()? {
            Sub::Layout(l) => Ok(l),
            Sub::Bypass => Err("needs a sub-pipeline".into()),
        }
    }

    /// Checks that argument `i`, when given, is an options object ([`is_options`]); `err`
    /// when it is something else.
    pub fn options_arg(&self, i: usize, err: &str) -> Result<(), String> {
        match self.arg(i) {
            Some(v) if !is_options(&v) => Err(err.into()),
            _ => Ok(()),
        }
    }

    /// True if argument `i` is a function.
    pub fn is_function(&self, i: usize) -> bool {
        self.arg(i).map(|v| v.is_function()).unwrap_or(false)
    }

    /// Reads a property of an options object argument.
    pub fn option(&self, i: usize, key: &str) -> Option<Value<'js>> {
        let o = self.arg(i)?;
        let o = o.as_object()?;
        o.get::<_, Value>(key)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// An option as seconds (number, or a duration string).
    pub fn duration_option(
        &self,
        i: usize,
        key: &str,
    ) -> Result<Option<std::time::Duration>, String> {
        match self.option(i, key) {
            None => Ok(None),
            Some(v) => duration_of(&v)
                .map(Some)
                .map_err(|e| format!("option {key}: {e}")),
        }
    }

    /// A size option: a number of bytes (not negative) or a size such as
    /// `'16k'`; `default` when it is not given.
    pub fn size_option(&self, i: usize, key: &str, default: usize) -> Result<usize, String> {
        match self.option(i, key) {
            None => Ok(default),
            Some(v) if v.is_number() => match v.as_number().unwrap_or(f64::NAN) {
                n if n >= 0.0 && n.is_finite() => Ok(n as usize),
                n => Err(format!("option {key}: {n} is not a size")),
            },
            Some(v) => size_text(&v, key),
        }
    }

    /// An option as a whole number.
    pub fn number_option(&self, i: usize, key: &str) -> Result<Option<f64>, String> {
        match self.option(i, key) {
            None => Ok(None),
            Some(v) => v
                .as_number()
                .map(Some)
                .ok_or_else(|| format!("option {key} must be a number")),
        }
    }

    /// Keeps a function only when it is one (for optional callbacks).
    pub fn as_function(v: &Value<'js>) -> Option<Function<'js>> {
        v.as_function().cloned()
    }
}

/// True for an options object: an object that is neither a function nor an array.
pub fn is_options(v: &Value<'_>) -> bool {
    v.is_object() && !v.is_function() && !v.is_array()
}

/// Reads a duration from a number of seconds or a string like `'5s'`.
pub fn duration_of(v: &Value<'_>) -> Result<std::time::Duration, String> {
    if let Some(n) = v.as_number() {
        if n < 0.0 || !n.is_finite() {
            return Err(format!("invalid duration: {n}"));
        }
        return Ok(std::time::Duration::from_secs_f64(n));
    }
    if let Some(s) = v.as_string() {
        return crate::units::parse_duration(&s.to_string().unwrap_or_default());
    }
    Err("expected a number of seconds or a string like '5s'".into())
}

/// A size given as text (`'16k'`, `'1m'`) for option `key`.
pub(super) fn size_text(v: &Value<'_>, key: &str) -> Result<usize, String> {
    let s = v
        .as_string()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_default();
    crate::units::parse_size(&s)
        .map(|n| n as usize)
        .map_err(|e| format!("option {key}: {e}"))
}
