//! Reads template.yaml: the resources the local stack provisions, each function's environment, routes,
//! queue triggers and schedules, and resolves the CloudFormation intrinsics they use (`Ref`, `Fn::Sub`,
//! `Fn::GetAtt`, `Fn::Join`) against what was provisioned. An intrinsic it cannot resolve is an error, so the
//! local stack never silently drifts from the template.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Yaml,
}

/// An HTTP route a function serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// `GET`, `POST`, …
    pub method: String,
    /// API Gateway path (`/v1/orders/{id}`).
    pub path: String,
    /// `Auth: Authorizer: NONE`.
    pub public: bool,
}

/// A queue that triggers a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTrigger {
    /// The queue's logical id.
    pub queue: String,
    /// Records per invocation.
    pub batch_size: i32,
}

/// A schedule that invokes a function.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleTrigger {
    /// The event's logical name.
    pub name: String,
    /// `rate(5 minutes)` or `cron(...)`.
    pub expression: String,
    /// The JSON the function receives.
    pub input: Json,
}

/// One `AWS::Serverless::Function`.
#[derive(Debug, Clone)]
pub struct FunctionDef {
    /// Logical id.
    pub logical_id: String,
    /// The Cargo binary (`BuildProperties.Binary`).
    pub binary: String,
    /// Globals' variables overlaid with the function's, unresolved.
    pub environment: BTreeMap<String, Yaml>,
    /// Routes.
    pub routes: Vec<HttpRoute>,
    /// Queue triggers.
    pub queues: Vec<QueueTrigger>,
    /// Schedules.
    pub schedules: Vec<ScheduleTrigger>,
}

fn get<'a>(v: &'a Yaml, path: &[&str]) -> Option<&'a Yaml> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn str_at(v: &Yaml, path: &[&str]) -> Option<String> {
    get(v, path).and_then(Yaml::as_str).map(str::to_owned)
}

fn env_vars(v: Option<&Yaml>) -> BTreeMap<String, Yaml> {
    v.and_then(Yaml::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.clone())))
                .collect()
        })
        .unwrap_or_default()
}

impl Template {
    /// Parses the template at `path`.
    ///
    /// # Errors
    /// When the file cannot be read or is not YAML.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        Self::parse(&text)
    }

    /// Parses template text.
    ///
    /// # Errors
    /// When it is not YAML with a `Resources` mapping.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let root: Yaml = serde_yaml::from_str(text).context("parse template")?;
        if get(&root, &["Resources"]).and_then(Yaml::as_mapping).is_none() {
            bail!("template has no Resources");
        }
        Ok(Self { root })
    }

    /// Logical ids and properties of every resource of `resource_type`, in template order.
    pub fn resources_of_type(&self, resource_type: &str) -> Vec<(String, Yaml)> {
        let Some(resources) = get(&self.root, &["Resources"]).and_then(Yaml::as_mapping) else {
            return Vec::new();
        };
        resources
            .iter()
            .filter(|(_, r)| str_at(r, &["Type"]).as_deref() == Some(resource_type))
            .filter_map(|(id, r)| {
                Some((
                    id.as_str()?.to_owned(),
                    r.get("Properties").cloned().unwrap_or(Yaml::Null),
                ))
            })
            .collect()
    }

    /// Parameter defaults.
    pub fn parameter_defaults(&self) -> HashMap<String, String> {
        get(&self.root, &["Parameters"])
            .and_then(Yaml::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let default = match v.get("Default")? {
                            Yaml::String(s) => s.clone(),
                            Yaml::Number(n) => n.to_string(),
                            Yaml::Bool(b) => b.to_string(),
                            _ => return None,
                        };
                        Some((k.as_str()?.to_owned(), default))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every function with its triggers.
    ///
    /// # Errors
    /// When a function lacks `BuildProperties.Binary` or an event is malformed.
    pub fn functions(&self) -> anyhow::Result<Vec<FunctionDef>> {
        let globals = env_vars(get(
            &self.root,
            &["Globals", "Function", "Environment", "Variables"],
        ));
        let resources = get(&self.root, &["Resources"])
            .and_then(Yaml::as_mapping)
            .context("no Resources")?;
        let mut functions = Vec::new();
        for (id, resource) in resources {
            if str_at(resource, &["Type"]).as_deref() != Some("AWS::Serverless::Function") {
                continue;
            }
            let logical_id = id.as_str().context("resource id")?.to_owned();
            let binary = str_at(resource, &["Metadata", "BuildProperties", "Binary"])
                .with_context(|| format!("{logical_id}: no Metadata.BuildProperties.Binary"))?;
            let mut environment = globals.clone();
            environment.extend(env_vars(get(
                resource,
                &["Properties", "Environment", "Variables"],
            )));
            let mut def = FunctionDef {
                logical_id,
                binary,
                environment,
                routes: vec![],
                queues: vec![],
                schedules: vec![],
            };
            let events = get(resource, &["Properties", "Events"]).and_then(Yaml::as_mapping);
            for (name, event) in events.into_iter().flatten() {
                let name = name.as_str().unwrap_or_default().to_owned();
                let props = event.get("Properties").cloned().unwrap_or(Yaml::Null);
                match str_at(event, &["Type"]).as_deref() {
                    Some("HttpApi") => def.routes.push(HttpRoute {
                        method: str_at(&props, &["Method"])
                            .with_context(|| format!("{name}: Method"))?
                            .to_uppercase(),
                        path: str_at(&props, &["Path"]).with_context(|| format!("{name}: Path"))?,
                        public: str_at(&props, &["Auth", "Authorizer"]).as_deref() == Some("NONE"),
                    }),
                    Some("SQS") => def.queues.push(QueueTrigger {
                        queue: get_att_target(props.get("Queue"))
                            .with_context(|| format!("{name}: Queue"))?,
                        batch_size: props
                            .get("BatchSize")
                            .and_then(Yaml::as_i64)
                            .unwrap_or(10)
                            .try_into()?,
                    }),
                    Some("Schedule") => def.schedules.push(ScheduleTrigger {
                        expression: str_at(&props, &["Schedule"])
                            .with_context(|| format!("{name}: Schedule"))?,
                        input: match str_at(&props, &["Input"]) {
                            Some(text) => {
                                serde_json::from_str(&text).with_context(|| format!("{name}: Input"))?
                            }
                            None => Json::Object(Default::default()),
                        },
                        name,
                    }),
                    other => bail!(
                        "{}: unsupported event type {other:?} for the local stack",
                        def.logical_id
                    ),
                }
            }
            functions.push(def);
        }
        Ok(functions)
    }
}

/// The logical id in `!GetAtt X.Arn`.
fn get_att_target(v: Option<&Yaml>) -> Option<String> {
    let (tag, value) = intrinsic(v?)?;
    if tag != "GetAtt" {
        return None;
    }
    match value {
        Yaml::String(s) => s.split('.').next().map(str::to_owned),
        Yaml::Sequence(parts) => parts.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// `(name, argument)` of an intrinsic in short (`!Ref x`) or long (`{Ref: x}`, `{Fn::Sub: …}`) form.
fn intrinsic(v: &Yaml) -> Option<(String, &Yaml)> {
    match v {
        Yaml::Tagged(t) => Some((t.tag.to_string().trim_start_matches('!').to_owned(), &t.value)),
        Yaml::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next()?;
            let k = k.as_str()?;
            let name = k.strip_prefix("Fn::").unwrap_or(k);
            (k == "Ref" || k.starts_with("Fn::")).then(|| (name.to_owned(), v))
        }
        _ => None,
    }
}

/// What one provisioned resource resolves to.
#[derive(Debug, Clone, Default)]
pub struct Physical {
    /// What `Ref` returns (table name, queue URL, secret ARN).
    pub reference: String,
    /// What `GetAtt` returns, by attribute (`Arn`, `QueueName`).
    pub attributes: HashMap<String, String>,
}

/// Resolves intrinsics against parameters, pseudo parameters and provisioned resources.
#[derive(Debug, Clone)]
pub struct Resolver {
    /// `AWS::StackName`.
    pub stack_name: String,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account_id: String,
    /// Parameter values.
    pub parameters: HashMap<String, String>,
    /// Provisioned resources by logical id.
    pub resources: HashMap<String, Physical>,
}

impl Resolver {
    fn reference(&self, name: &str) -> anyhow::Result<String> {
        match name {
            "AWS::StackName" => Ok(self.stack_name.clone()),
            "AWS::Region" => Ok(self.region.clone()),
            "AWS::AccountId" => Ok(self.account_id.clone()),
            "AWS::Partition" => Ok("aws".into()),
            "AWS::URLSuffix" => Ok("amazonaws.com".into()),
            _ => self
                .parameters
                .get(name)
                .cloned()
                .or_else(|| self.resources.get(name).map(|r| r.reference.clone()))
                .ok_or_else(|| {
                    anyhow!("cannot resolve Ref {name} locally (not provisioned yet, or not provisionable)")
                }),
        }
    }

    fn attribute(&self, resource: &str, attribute: &str) -> anyhow::Result<String> {
        self.resources
            .get(resource)
            .and_then(|r| r.attributes.get(attribute))
            .cloned()
            .ok_or_else(|| anyhow!("cannot resolve GetAtt {resource}.{attribute} locally"))
    }

    fn substitute(&self, text: &str) -> anyhow::Result<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("unclosed ${{ in Sub {text:?}"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some((res, attr)) = name.split_once('.').filter(|_| !name.starts_with("AWS::")) {
                out.push_str(&self.attribute(res, attr)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Resolves every intrinsic in `v` into plain JSON.
    ///
    /// # Errors
    /// On an intrinsic that cannot be resolved locally.
    pub fn resolve(&self, v: &Yaml) -> anyhow::Result<Json> {
        if let Some((name, arg)) = intrinsic(v) {
            return Ok(Json::String(match (name.as_str(), arg) {
                ("Ref", Yaml::String(r)) => self.reference(r)?,
                ("Sub", Yaml::String(s)) => self.substitute(s)?,
                ("GetAtt", Yaml::String(s)) => {
                    let (res, attr) = s.split_once('.').ok_or_else(|| anyhow!("GetAtt {s}"))?;
                    self.attribute(res, attr)?
                }
                ("GetAtt", Yaml::Sequence(p)) if p.len() == 2 => self.attribute(
                    p[0].as_str().unwrap_or_default(),
                    p[1].as_str().unwrap_or_default(),
                )?,
                ("Join", Yaml::Sequence(p)) if p.len() == 2 => {
                    let sep = p[0].as_str().unwrap_or_default();
                    let parts = p[1].as_sequence().ok_or_else(|| anyhow!("Join needs a list"))?;
                    let parts = parts
                        .iter()
                        .map(|x| self.resolve_string(x))
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    parts.join(sep)
                }
                (other, _) => bail!("intrinsic {other} is not supported by the local stack"),
            }));
        }
        Ok(match v {
            Yaml::Null => Json::Null,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Number(n) => serde_json::to_value(n)?,
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Sequence(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.resolve(i))
                    .collect::<anyhow::Result<_>>()?,
            ),
            Yaml::Mapping(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.as_str().unwrap_or_default().to_owned(), self.resolve(v)?)))
                    .collect::<anyhow::Result<_>>()?,
            ),
            Yaml::Tagged(t) => bail!("unsupported tag {}", t.tag),
        })
    }

    /// Resolves `v` to a string (numbers and booleans print as CloudFormation would).
    ///
    /// # Errors
    /// On an intrinsic that cannot be resolved, or a value that is a list or map.
    pub fn resolve_string(&self, v: &Yaml) -> anyhow::Result<String> {
        match self.resolve(v)? {
            Json::String(s) => Ok(s),
            Json::Number(n) => Ok(n.to_string()),
            Json::Bool(b) => Ok(b.to_string()),
            other => bail!("expected a scalar, found {other}"),
        }
    }

    /// A function's environment with every value resolved.
    ///
    /// # Errors
    /// On a value that cannot be resolved locally.
    pub fn environment(&self, f: &FunctionDef) -> anyhow::Result<HashMap<String, String>> {
        f.environment
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    self.resolve_string(v)
                        .with_context(|| format!("{}: {k}", f.logical_id))?,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> Resolver {
        let mut resources = HashMap::new();
        resources.insert(
            "Queue".to_owned(),
            Physical {
                reference: "http://127.0.0.1:1/123/q".into(),
                attributes: HashMap::from([("Arn".to_owned(), "arn:aws:sqs:us-east-1:123:q".to_owned())]),
            },
        );
        Resolver {
            stack_name: "ts".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            parameters: HashMap::from([("Origins".to_owned(), "http://localhost:5173".to_owned())]),
            resources,
        }
    }

    fn yaml(s: &str) -> Yaml {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn resolves_short_and_long_intrinsics() {
        let r = resolver();
        assert_eq!(
            r.resolve_string(&yaml("!Sub ${AWS::StackName}-main")).unwrap(),
            "ts-main"
        );
        assert_eq!(
            r.resolve_string(&yaml("!Ref Queue")).unwrap(),
            "http://127.0.0.1:1/123/q"
        );
        assert_eq!(
            r.resolve_string(&yaml("!GetAtt Queue.Arn")).unwrap(),
            "arn:aws:sqs:us-east-1:123:q"
        );
        assert_eq!(
            r.resolve_string(&yaml("{'Fn::GetAtt': [Queue, Arn]}")).unwrap(),
            "arn:aws:sqs:us-east-1:123:q"
        );
        assert_eq!(
            r.resolve_string(&yaml("{Ref: Origins}")).unwrap(),
            "http://localhost:5173"
        );
        assert_eq!(
            r.resolve_string(&yaml("!Sub 'x-${Queue.Arn}-${!Literal}'"))
                .unwrap(),
            "x-arn:aws:sqs:us-east-1:123:q-${Literal}"
        );
        assert_eq!(
            r.resolve_string(&yaml("!Join [',', [a, !Ref AWS::Region]]"))
                .unwrap(),
            "a,us-east-1"
        );
        assert_eq!(
            r.resolve(&yaml(
                "{deadLetterTargetArn: !GetAtt Queue.Arn, maxReceiveCount: 3}"
            ))
            .unwrap(),
            serde_json::json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123:q", "maxReceiveCount": 3})
        );
    }

    #[test]
    fn refuses_what_it_cannot_resolve() {
        let r = resolver();
        assert!(r.resolve(&yaml("!Ref Missing")).is_err());
        assert!(r.resolve(&yaml("!GetAtt Queue.Nope")).is_err());
        assert!(r.resolve(&yaml("!If [C, a, b]")).is_err());
        assert!(r.resolve(&yaml("!Sub '${Unclosed'")).is_err());
    }

    #[test]
    fn reads_the_real_template() {
        let t = Template::load(&crate::emulator::workspace_root().join("template.yaml")).unwrap();
        let functions = t.functions().unwrap();
        let admin = functions.iter().find(|f| f.binary == "admin-api").unwrap();
        assert!(admin.routes.contains(&HttpRoute {
            method: "GET".into(),
            path: "/v1/health".into(),
            public: true
        }));
        assert!(admin.routes.contains(&HttpRoute {
            method: "GET".into(),
            path: "/v1/admin/health".into(),
            public: false
        }));
        assert!(
            admin.environment.contains_key("TABLE_NAME"),
            "globals are inherited"
        );
        let worker = functions.iter().find(|f| f.binary == "audit-worker").unwrap();
        assert_eq!(
            worker.queues,
            [QueueTrigger {
                queue: "AuditQueue".into(),
                batch_size: 10
            }]
        );
        let scheduler = functions.iter().find(|f| f.binary == "scheduler").unwrap();
        assert_eq!(scheduler.schedules[0].input["detail"]["job"], "heartbeat");
        assert_eq!(t.resources_of_type("AWS::DynamoDB::Table").len(), 1);
    }

    #[test]
    fn the_admin_function_reads_the_metrics_of_every_http_function() {
        let t = Template::load(&crate::emulator::workspace_root().join("template.yaml")).unwrap();
        let functions = t.functions().unwrap();
        let admin = functions.iter().find(|f| f.binary == "admin-api").unwrap();
        let mut read: Vec<&str> = admin.environment["METRICS_FUNCTIONS"]
            .as_str()
            .unwrap()
            .split(',')
            .collect();
        let mut http: Vec<&str> = functions
            .iter()
            .filter(|f| !f.routes.is_empty())
            .map(|f| f.binary.as_str())
            .collect();
        read.sort_unstable();
        http.sort_unstable();
        assert_eq!(read, http);
    }
}
