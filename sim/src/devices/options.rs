//! `DeviceOptions`: every device's options in one map keyed by their type, so that a new device adds its
//! options type in its own folder and no central struct grows a field. An absent entry reads as the defaults.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;

/// What a device's options type must be: cloneable, defaultable, printable (secrets redacted by its `Debug`).
pub trait Options: Any + Clone + Default + Debug + Send + Sync {}

impl<T: Any + Clone + Default + Debug + Send + Sync> Options for T {}

trait AnyOptions: Debug + Send + Sync {
    fn clone_box(&self) -> Box<dyn AnyOptions>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Options> AnyOptions for T {
    fn clone_box(&self) -> Box<dyn AnyOptions> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Each device's options, by type.
#[derive(Debug, Default)]
pub struct DeviceOptions {
    by_type: HashMap<TypeId, Box<dyn AnyOptions>>,
}

impl Clone for DeviceOptions {
    fn clone(&self) -> Self {
        DeviceOptions {
            by_type: self.by_type.iter().map(|(k, v)| (*k, v.clone_box())).collect(),
        }
    }
}

impl DeviceOptions {
    /// The options of type `T` (its defaults when none were set).
    pub fn get<T: Options>(&self) -> T {
        self.by_type
            .get(&TypeId::of::<T>())
            .and_then(|v| v.as_any().downcast_ref::<T>())
            .cloned()
            .unwrap_or_default()
    }

    /// The options of type `T` to change in place (set to the defaults first if absent).
    pub fn get_mut<T: Options>(&mut self) -> &mut T {
        let slot = self
            .by_type
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()));
        match slot.as_any_mut().downcast_mut::<T>() {
            Some(options) => options,
            None => unreachable!("the entry keyed by a type's id holds a value of that type"),
        }
    }

    /// Replaces the options of type `T`.
    pub fn set<T: Options>(&mut self, options: T) {
        self.by_type.insert(TypeId::of::<T>(), Box::new(options));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq)]
    struct Knobs {
        level: u8,
    }

    #[test]
    fn options_are_kept_by_type_and_default_when_absent() {
        let mut options = DeviceOptions::default();
        assert_eq!(options.get::<Knobs>(), Knobs::default());
        options.get_mut::<Knobs>().level = 3;
        let copy = options.clone();
        options.set(Knobs { level: 7 });
        assert_eq!((copy.get::<Knobs>().level, options.get::<Knobs>().level), (3, 7));
        assert_eq!(options.get::<u32>(), 0);
    }
}
