//! The member registry of a running provider (R-ID-4), built from its store,
//! master key and clock.

use crate::app::App;
use pforte_identity::member::MemberRegistry;
use std::sync::Arc;

impl App {
    /// The member registry on this provider's database, sealing with its
    /// master key (R-OP-4).
    pub fn member_registry(&self) -> MemberRegistry {
        MemberRegistry::new(
            Arc::new(self.store.clone()),
            Arc::new(self.master.clone()),
            self.clock.clone(),
        )
    }
}
