//! Test harness: one emulator per test binary, started on first use (its watchdog stops it when the binary
//! exits), and a freshly provisioned copy of template.yaml per test under a unique stack name, so tests run
//! in parallel without sharing state.

// A test harness fails the test that uses it by panicking, like an assertion.
#![allow(clippy::expect_used)]

use std::sync::{Arc, OnceLock};

use chrono::Utc;

use tradesense_adapters::AwsClients;
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::config::AwsSettings;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::sessions::DynamoSessionRepository;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_adapters::stream::StreamConfig;
use tradesense_domain::identity::mfa::MfaState;
use tradesense_domain::identity::ports::{SessionRepository as _, UserRepository as _};
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::session::Session;
use tradesense_domain::identity::user::{LoginGuard, PasswordHash, User};
use tradesense_domain::kernel::ids::{SessionId, UserId};
use tradesense_domain::stream::ports::ConnectionPusher;
use tradesense_domain::stream::service::StreamService;
use tradesense_domain::trading::account::PaperAccount;
use tradesense_http::stream::RestRenderer;

use crate::emulator::{Emulator, workspace_root};
use crate::provision::{StackContext, provision};
use crate::template::{Resolver, Template};

static EMULATOR: OnceLock<Result<Emulator, String>> = OnceLock::new();

/// The binary's emulator endpoint, starting it on first use.
///
/// # Panics
/// When the emulator cannot start (a test cannot run without it).
pub fn emulator_endpoint() -> String {
    match EMULATOR.get_or_init(|| Emulator::start(None).map_err(|e| format!("{e:#}"))) {
        Ok(e) => e.endpoint(),
        Err(e) => panic!("cannot start the AWS emulator: {e}"),
    }
}

/// A private copy of the template's resources in the emulator.
pub struct TestStack {
    /// Clients for the emulator.
    pub aws: AwsClients,
    /// What was provisioned.
    pub resources: Resolver,
}

impl TestStack {
    /// Provisions a fresh copy of template.yaml.
    ///
    /// # Panics
    /// When provisioning fails.
    pub async fn provision() -> Self {
        let endpoint = emulator_endpoint();
        let aws = AwsClients::load(&AwsSettings {
            endpoint_url: Some(endpoint),
            warm_up_table: None,
        })
        .await;
        let template = Template::load(&workspace_root().join("template.yaml")).expect("template.yaml");
        let ctx = StackContext {
            stack_name: format!("t{}", ulid::Ulid::new().to_string().to_lowercase()),
            parameters: Default::default(),
        };
        let resources = provision(&template, &aws, &ctx)
            .await
            .expect("provision template.yaml");
        Self { aws, resources }
    }

    /// What `!Ref <logical_id>` resolves to.
    ///
    /// # Panics
    /// When no such resource was provisioned.
    pub fn reference(&self, logical_id: &str) -> String {
        self.resources
            .resources
            .get(logical_id)
            .map(|r| r.reference.clone())
            .expect("provisioned resource")
    }

    /// The template's table.
    pub fn table(&self) -> Table {
        Table::new(self.aws.dynamodb.clone(), self.reference("Table"))
    }

    /// A trader `id` with a live session in this stack's table, as registration and a login leave them.
    ///
    /// # Panics
    /// When they cannot be stored.
    pub async fn sign_in(&self, id: UserId) -> SessionId {
        let now = Utc::now();
        let user = User {
            id,
            email: format!("u{}@example.in", id.to_string().to_lowercase())
                .parse()
                .expect("an email"),
            display_name: "Test Trader".into(),
            roles: vec![Role::Trader],
            password_hash: PasswordHash::decoy(),
            disabled: false,
            login_guard: LoginGuard::default(),
            mfa: MfaState::default(),
            created_at: now,
        };
        DynamoUserRepository::new(self.table())
            .create(&user, &PaperAccount::open(id, now))
            .await
            .expect("user stored");
        let (session, _) = Session::start(SessionId::from_ulid(ulid::Ulid::new()), id, now);
        DynamoSessionRepository::new(self.table())
            .create(&session)
            .await
            .expect("session stored");
        session.id
    }

    /// The push channel's use cases as its functions are wired, over this stack, on the system clock, posting
    /// through `pusher`.
    ///
    /// # Panics
    /// When the shipped holiday list does not parse.
    pub fn stream_service(&self, pusher: Arc<dyn ConnectionPusher>) -> StreamService {
        let cfg = StreamConfig {
            table_name: self.reference("Table"),
            market_seed: tradesense_adapters::config::market_seed(&|_| None).expect("default seed"),
            clock: Arc::new(SystemClock),
            socket_url: "wss://abc123.execute-api.ap-south-1.amazonaws.com/v1".into(),
            callback_url: "https://abc123.execute-api.ap-south-1.amazonaws.com/v1".into(),
        };
        cfg.service(&self.aws, pusher, Arc::new(RestRenderer))
            .expect("stream wiring")
    }
}
