//! The member registry of a running provider (R-ID-4), built from its store,
//! master key and clock.

use crate::app::App;
use crate::member_lookup::HttpMemberLookup;
use pforte_identity::member::MemberRegistry;
use pforte_identity::ports::MemberLinkStore;
use std::sync::Arc;

impl App {
    /// The member registry on this provider's database, sealing with its
    /// master key (R-OP-4).
    /// With `[members] lookup_url`, KVNRs the registry does not hold are
    /// asked of the insurer's system ([`crate::member_lookup`]).
    pub fn member_registry(&self) -> MemberRegistry {
        let registry = MemberRegistry::new(
            Arc::new(self.store.clone()),
            Arc::new(self.master.clone()),
            self.clock.clone(),
        );
        match HttpMemberLookup::from_settings(&self.settings.members) {
            Ok(Some(lookup)) => registry.with_lookup(Arc::new(lookup)),
            Ok(None) => registry,
            // Validation refuses such settings before start; should one slip
            // through, registration knows the imported members only.
            Err(error) => {
                tracing::error!(%error, "member lookup not usable");
                registry
            }
        }
    }
}

impl App {
    /// The links of registered accounts to their members on this provider's
    /// database (R-ID-4, R-RG-1): stages, proofing and the work lists of the
    /// membership-end job.
    pub fn member_links(&self) -> Arc<dyn MemberLinkStore> {
        Arc::new(self.store.clone())
    }
}

impl App {
    /// Self-registration and activation on this provider (R-RG-1…4).
    pub fn registrar(&self) -> pforte_identity::registration::service::Registrar {
        pforte_identity::registration::service::Registrar::new(
            self.identity.clone(),
            Arc::new(self.member_registry()),
            self.member_links(),
            Arc::new(self.store.clone()),
            Arc::new(self.store.clone()),
        )
    }
}
