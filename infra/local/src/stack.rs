//! The whole platform on one machine: emulator, provisioning, every function, pollers, schedules, and one
//! HTTP port. `make run` and the end-to-end tests both start it through [`LocalStack::start`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use axum::Router;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tradesense_adapters::AwsClients;
use tradesense_adapters::clock::market_clock;
use tradesense_adapters::config::{AwsSettings, market_seed};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_domain::identity::rbac::{Principal, Role};
use tradesense_domain::identity::user::User;
use tradesense_domain::kernel::ids::{SessionId, UserId};
use tradesense_domain::stream::ports::ConnectionPusher;
use tradesense_http::{HttpConfig, with_request_metrics};

use crate::emulator::{Emulator, workspace_root};
use crate::functions::{LocalFunction, wire};
use crate::gateway::{self, Gateway};
use crate::metrics::EmulatorSink;
use crate::pollers;
use crate::provision::{StackContext, provision};
use crate::round_trips;
use crate::seed::{seed_demo_history, seed_demo_users};
use crate::sockets::{self, LocalSockets, SOCKET_PATH};
use crate::template::{Resolver, Template};

/// How to start the local stack.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// HTTP address; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Emulator port; `None` picks a free one.
    pub moto_port: Option<u16>,
    /// `AWS::StackName` for physical names.
    pub stack_name: String,
    /// Template parameter overrides (e.g. `CorsAllowedOrigins`).
    pub parameters: HashMap<String, String>,
    /// The template to provision from.
    pub template: PathBuf,
    /// The demo users' password.
    pub demo_password: String,
    /// Whether the demo trader gets two sessions of trading history (`make run`; tests start clean).
    pub demo_history: bool,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            moto_port: None,
            stack_name: "tradesense-local".into(),
            parameters: HashMap::new(),
            template: workspace_root().join("template.yaml"),
            demo_password: crate::seed::DEFAULT_DEMO_PASSWORD.to_owned(),
            demo_history: false,
        }
    }
}

/// `parameters` with `SimulatedClockAnchor` set to `now` when a `SimulatedClockStart` is given without one:
/// every function's market clock then reads the start at the same instant, the stack's start.
fn with_clock_anchor(mut parameters: HashMap<String, String>, now: DateTime<Utc>) -> HashMap<String, String> {
    let simulated = parameters
        .get("SimulatedClockStart")
        .is_some_and(|start| !start.trim().is_empty());
    if simulated {
        parameters
            .entry("SimulatedClockAnchor".to_owned())
            .or_insert_with(|| now.to_rfc3339());
    }
    parameters
}

/// A running local stack. Dropping it without [`stop`](Self::stop) still stops the emulator.
pub struct LocalStack {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Clients connected to the emulator.
    pub aws: AwsClients,
    /// What was provisioned.
    pub resources: Resolver,
    /// Each function's resolved environment, by binary.
    pub environments: HashMap<String, HashMap<String, String>>,
    /// The seeded demo users.
    pub demo_users: Vec<User>,
    emulator: Emulator,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl LocalStack {
    /// Starts everything and returns once the HTTP port accepts requests.
    ///
    /// # Errors
    /// When the emulator, provisioning, a function's configuration or the listener fails.
    pub async fn start(opts: LocalOptions) -> anyhow::Result<Self> {
        let moto_port = opts.moto_port;
        let emulator = tokio::task::spawn_blocking(move || Emulator::start(moto_port)).await??;
        let endpoint = emulator.endpoint();
        let aws = round_trips::counted(
            AwsClients::load(&AwsSettings {
                endpoint_url: Some(endpoint.clone()),
                warm_up_table: None,
            })
            .await,
        );
        let template = Template::load(&opts.template)?;
        let ctx = StackContext {
            stack_name: opts.stack_name.clone(),
            parameters: with_clock_anchor(opts.parameters.clone(), chrono::Utc::now()),
        };
        let resources = provision(&template, &aws, &ctx)
            .await
            .context("provision from template.yaml")?;
        let table = resources
            .resources
            .get("Table")
            .context("template has no Table")?
            .reference
            .clone();
        let table = Table::new(aws.dynamodb.clone(), table);
        let users = DynamoUserRepository::new(table.clone());
        let demo_users = seed_demo_users(&users, &opts.demo_password, Utc::now())
            .await
            .context("seed demo users")?;
        if opts.demo_history {
            // On the scheduler's market clock and simulated market, which the first snapshot run prices with.
            let scheduler = template
                .functions()?
                .into_iter()
                .find(|f| f.binary == "scheduler")
                .context("template has no scheduler")?;
            let env = resources.environment(&scheduler)?;
            let vars = |key: &str| env.get(key).cloned();
            let trader = demo_users
                .iter()
                .find(|u| u.roles.contains(&Role::Trader))
                .context("no demo trader")?;
            seed_demo_history(
                &table,
                market_clock(&vars)?.as_ref(),
                market_seed(&vars)?,
                trader.id,
            )
            .await
            .context("seed the demo trader's history")?;
        }

        let (shutdown, shutdown_rx) = watch::channel(false);
        // Ends once the gateway (holding every copy of the sink) has stopped, after putting what is left.
        let (metrics, metrics_task) = EmulatorSink::start(aws.cloudwatch.clone());
        let metrics = Arc::new(metrics);
        let mut tasks = vec![metrics_task];
        // Bound first: the push channel's functions are told the WebSocket URL on this port.
        let listener = tokio::net::TcpListener::bind(opts.addr)
            .await
            .with_context(|| format!("bind {}", opts.addr))?;
        let address = listener.local_addr()?;
        let base_url = format!("http://{address}");
        let sockets = Arc::new(LocalSockets::default());
        let pusher: Arc<dyn ConnectionPusher> = sockets.clone();
        let mut socket_routes = None;
        let mut routers = Router::new();
        let mut routes = Vec::new();
        let mut authorizer = None;
        let mut environments = HashMap::new();
        let mut http = HttpConfig::default();
        for f in template.functions()? {
            let mut env = resources.environment(&f)?;
            env.insert("AWS_ENDPOINT_URL".into(), endpoint.clone());
            // Local only: webhook endpoints may be plain http://127.0.0.1 (template.yaml never sets this).
            env.insert(
                tradesense_adapters::alerts::ALLOW_LOOPBACK_HTTP.into(),
                "true".into(),
            );
            // Local only: the WebSocket API is this port's `/v1/stream`, its `@connections` in process.
            if env.contains_key("STREAM_SOCKET_URL") {
                env.insert("STREAM_SOCKET_URL".into(), format!("ws://{address}{SOCKET_PATH}"));
                // Where `@connections` answers on this port, for a function run outside the stack.
                env.insert("STREAM_CALLBACK_URL".into(), format!("{base_url}{SOCKET_PATH}"));
            }
            if let Some(origins) = env.get("CORS_ALLOWED_ORIGINS") {
                http = HttpConfig::from_cors_origins(origins).map_err(|e| anyhow!(e))?;
            }
            match wire(&f.binary, &env, &aws, &pusher).with_context(|| format!("wire {}", f.binary))? {
                LocalFunction::Http(router) => {
                    routers = routers.merge(with_request_metrics(router, &f.binary, metrics.clone()));
                    routes.extend(f.routes.iter().cloned());
                }
                LocalFunction::Authorizer(a) => authorizer = Some(a),
                LocalFunction::WebSocket(handler) => {
                    socket_routes = Some(sockets::router(handler, sockets.clone()));
                }
                LocalFunction::Sqs(handler) => {
                    for trigger in &f.queues {
                        let queue = resources.resources.get(&trigger.queue).context("trigger queue")?;
                        let arn = queue.attributes.get("Arn").cloned().unwrap_or_default();
                        tasks.push(tokio::spawn(pollers::poll_queue(
                            aws.sqs.clone(),
                            queue.reference.clone(),
                            arn,
                            trigger.batch_size,
                            handler.clone(),
                            shutdown_rx.clone(),
                        )));
                    }
                }
                LocalFunction::Schedule(handler) => {
                    for s in &f.schedules {
                        let period = pollers::rate_period(&s.expression)?;
                        tasks.push(tokio::spawn(pollers::fire_schedule(
                            s.name.clone(),
                            period,
                            s.input.clone(),
                            handler.clone(),
                            shutdown_rx.clone(),
                        )));
                    }
                }
            }
            environments.insert(f.binary.clone(), env);
        }
        let authorizer = authorizer.context("template has no authorizer function")?;
        let app = gateway::router(
            routers,
            Gateway::new(routes, authorizer),
            socket_routes.context("template has no WebSocket function")?,
            &http,
        );
        let mut stop = shutdown_rx.clone();
        tasks.push(tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.changed().await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = ?e, "local gateway failed");
            }
        }));
        Ok(Self {
            base_url,
            aws,
            resources,
            environments,
            demo_users,
            emulator,
            shutdown,
            tasks,
        })
    }

    /// The push channel's WebSocket URL (`ws://127.0.0.1:<port>/v1/stream`).
    pub fn socket_url(&self) -> String {
        format!("{}{SOCKET_PATH}", self.base_url.replacen("http://", "ws://", 1))
    }

    /// The emulator's endpoint URL.
    pub fn emulator_endpoint(&self) -> String {
        self.emulator.endpoint()
    }

    /// A physical resource id (what `!Ref` gives) by logical id.
    ///
    /// # Errors
    /// When the template has no such provisioned resource.
    pub fn reference(&self, logical_id: &str) -> anyhow::Result<String> {
        self.resources
            .resources
            .get(logical_id)
            .map(|r| r.reference.clone())
            .with_context(|| format!("no provisioned resource {logical_id}"))
    }

    /// A principal with `roles` and fresh ids.
    pub fn principal(roles: &[Role]) -> Principal {
        Principal {
            user_id: UserId::from_ulid(ulid::Ulid::new()),
            roles: roles.to_vec(),
            session_id: SessionId::from_ulid(ulid::Ulid::new()),
        }
    }

    /// Stops the gateway, pollers and schedules, then the emulator.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        drop(self.emulator);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulated_start_gets_the_stacks_start_as_its_anchor_unless_one_is_given() {
        let now: DateTime<Utc> = "2026-12-02T07:00:00Z".parse().unwrap();
        let start = |value: &str| HashMap::from([("SimulatedClockStart".to_owned(), value.to_owned())]);
        let anchored = with_clock_anchor(start("2026-11-25T11:00:00+05:30"), now);
        assert_eq!(
            anchored.get("SimulatedClockAnchor").map(String::as_str),
            Some("2026-12-02T07:00:00+00:00")
        );
        let mut given = start("2026-11-25T11:00:00+05:30");
        given.insert("SimulatedClockAnchor".into(), "2026-12-01T00:00:00Z".into());
        assert_eq!(
            with_clock_anchor(given, now)["SimulatedClockAnchor"],
            "2026-12-01T00:00:00Z"
        );
        assert!(!with_clock_anchor(start(""), now).contains_key("SimulatedClockAnchor"));
        assert!(!with_clock_anchor(HashMap::new(), now).contains_key("SimulatedClockAnchor"));
    }
}
