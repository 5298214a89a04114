//! The push channel's deployed wiring, shared by the ticket route, the `stream` function, the pusher and the
//! ticker: tickets and connections in the table, identity's sessions and users (a ticket is accepted only
//! while its session lives), the same market the paper broker prices with (the simulated market behind the
//! shared quote cache) and its current instrument master. How frames reach a connection
//! ([`ConnectionPusher`]) is API Gateway's management API when deployed ([`crate::connections`]) and the
//! local stack's in-process sockets there.

use std::sync::Arc;

use tradesense_domain::kernel::time::Clock;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::service::cached::CachedMarketData;
use tradesense_domain::market::service::current::CurrentMaster;
use tradesense_domain::market::service::simulated::SimulatedMarket;
use tradesense_domain::stream::ports::{ConnectionPusher, UpdateRenderer};
use tradesense_domain::stream::service::{StreamContext, StreamService};

use crate::AwsClients;
use crate::clock::{SystemClock, market_clock};
use crate::config::{AwsSettings, ConfigError, Vars, market_seed, required};
use crate::connections::ApiGatewayPusher;
use crate::dynamo::Table;
use crate::dynamo::instruments::DynamoInstrumentStore;
use crate::dynamo::quote_cache::DynamoQuoteCache;
use crate::dynamo::sessions::DynamoSessionRepository;
use crate::dynamo::stream::{DynamoConnectionStore, DynamoTicketStore};
use crate::dynamo::trading::DynamoTradingLedger;
use crate::dynamo::users::DynamoUserRepository;

/// What a push-channel function reads from its environment.
#[derive(Clone)]
pub struct StreamConfig {
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
    /// The simulated market's seed (`MARKET_SEED`).
    pub market_seed: u64,
    /// The market clock ([`market_clock`]): when quotes are read.
    pub clock: Arc<dyn Clock>,
    /// The WebSocket URL tickets are for (`STREAM_SOCKET_URL`: `wss://{api}.execute-api.{region}.amazonaws.com/v1`,
    /// locally `ws://127.0.0.1:3000/v1/stream`).
    pub socket_url: String,
    /// API Gateway's management endpoint for the WebSocket API (`STREAM_CALLBACK_URL`:
    /// `https://{api}.execute-api.{region}.amazonaws.com/v1`), where frames are posted.
    pub callback_url: String,
}

impl StreamConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required(vars, "TABLE_NAME")?,
            market_seed: market_seed(vars)?,
            clock: market_clock(vars)?,
            socket_url: required(vars, "STREAM_SOCKET_URL")?,
            callback_url: required(vars, "STREAM_CALLBACK_URL")?,
        })
    }

    /// A Lambda function's push channel: the configuration and AWS settings read from `vars`, then
    /// [`deployed`](Self::deployed).
    ///
    /// # Errors
    /// A missing or invalid variable, or the shipped holiday list not parsing.
    pub async fn load_deployed(
        vars: Vars<'_>,
        renderer: Arc<dyn UpdateRenderer>,
    ) -> anyhow::Result<StreamService> {
        let cfg = Self::from_vars(vars)?;
        let aws = AwsClients::load(&AwsSettings::from_vars(vars)?).await;
        cfg.deployed(&aws, renderer)
    }

    /// The push channel's use cases as deployed: frames posted through `@connections` at
    /// [`callback_url`](Self::callback_url), orders and notifications rendered by `renderer`.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn deployed(
        &self,
        aws: &AwsClients,
        renderer: Arc<dyn UpdateRenderer>,
    ) -> anyhow::Result<StreamService> {
        self.service(
            aws,
            Arc::new(ApiGatewayPusher::new(aws, &self.callback_url)),
            renderer,
        )
    }

    /// The push channel's use cases, posting through `pusher` and rendering updates with `renderer`.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn service(
        &self,
        aws: &AwsClients,
        pusher: Arc<dyn ConnectionPusher>,
        renderer: Arc<dyn UpdateRenderer>,
    ) -> anyhow::Result<StreamService> {
        let table = Table::new(aws.dynamodb.clone(), &self.table_name);
        let calendar = Arc::new(MarketCalendar::nse()?);
        let source = Arc::new(SimulatedMarket::new((*calendar).clone(), self.market_seed));
        Ok(StreamService::new(StreamContext {
            tickets: Arc::new(DynamoTicketStore::new(table.clone())),
            connections: Arc::new(DynamoConnectionStore::new(table.clone())),
            pusher,
            sessions: Arc::new(DynamoSessionRepository::new(table.clone())),
            users: Arc::new(DynamoUserRepository::new(table.clone())),
            ledger: Arc::new(DynamoTradingLedger::new(table.clone())),
            market: CachedMarketData::over(source, Arc::new(DynamoQuoteCache::new(table.clone()))),
            master: Arc::new(CurrentMaster::new(
                Arc::new(DynamoInstrumentStore::new(table)),
                calendar,
            )),
            renderer,
            clock: self.clock.clone(),
            wall_clock: Arc::new(SystemClock),
            socket_url: self.socket_url.clone(),
        }))
    }
}
