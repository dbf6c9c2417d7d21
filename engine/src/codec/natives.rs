//! Natives for the codec globals (`RESP`): the wire code is this module's, the objects
//! scripts see are made in `script/js/formats.js`. Installed by the worker with the other
//! natives that reach above the script layer (`worker/natives.rs`).

use rquickjs::function::Func;
use rquickjs::{Array, Ctx, Object, TypedArray, Value};

use super::{js, resp};
use crate::script::typed_bytes;

/// Adds the codec natives to `__native`.
pub fn install(n: &Object<'_>) -> rquickjs::Result<()> {
    n.set("respEncode", Func::from(resp_encode))?;
    n.set("respDecode", Func::from(resp_decode))?;
    Ok(())
}

/// The RESP bytes of one script value.
fn resp_encode<'js>(ctx: Ctx<'js>, v: Value<'js>) -> rquickjs::Result<TypedArray<'js, u8>> {
    let mut out = Vec::new();
    resp::encode(&js::from_js(&ctx, &v), &mut out);
    TypedArray::new(ctx, out)
}

/// Every whole value in the bytes; what follows the last whole one (a partial value, or bytes
/// that are not RESP) is left out, as Pipy.
fn resp_decode<'js>(ctx: Ctx<'js>, a: TypedArray<'js, u8>) -> rquickjs::Result<Array<'js>> {
    let mut values = Vec::new();
    let _ = resp::Decoder::new(usize::MAX).feed(typed_bytes(&a), &mut values);
    let out = Array::new(ctx.clone())?;
    for (i, v) in values.iter().enumerate() {
        out.set(i, js::to_js(&ctx, v)?)?;
    }
    Ok(out)
}
