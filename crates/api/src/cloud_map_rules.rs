//! Apply-time rules of the Cloud Map kinds (`cloud_map.rs`), worded after Cloud Map's own
//! InvalidInput messages: the names' forms, what cannot change after creation (Cloud Map has no
//! call that renames a namespace or moves a service), and a DNS service's records.

use serde_json::{Value, json};

use crate::rules::{rule, set};

/// A DNS name of labels (Cloud Map: up to 253 characters; a label up to 63).
const DOMAIN_PATTERN: &str =
    "^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?[.])*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?[.]?$";
/// A service name in a DNS namespace: a lowercase DNS-1035 label short enough for the headless
/// Kubernetes Service `<name>-ns-<16 characters>` to stay within 63 characters.
const DNS_SERVICE_PATTERN: &str = "^[a-z]([-a-z0-9]{0,41}[a-z0-9])?$";

pub(crate) fn discovery_namespace(root: &mut Value) {
    set(root, "spec.name", "maxLength", json!(1024));
    set(root, "spec.description", "maxLength", json!(1024));
    rule(
        root,
        "spec",
        &format!(
            "has(self.type) && self.type == 'HTTP' ? self.name.matches('^[0-9A-Za-z_-]+$') : \
             (size(self.name) <= 253 && self.name.matches('{DOMAIN_PATTERN}'))"
        ),
        "1 validation error detected: Value at 'name' failed to satisfy constraint: a DNS namespace's name is a domain name (corp.local); an HTTP namespace's is letters, digits, - and _",
    );
    rule(root, "spec.name", "self == oldSelf", "A namespace's name cannot be changed.");
    rule(
        root,
        "spec",
        "(has(self.type) ? self.type : 'DNS_PRIVATE') == (has(oldSelf.type) ? oldSelf.type : 'DNS_PRIVATE')",
        "A namespace's type cannot be changed.",
    );
}

pub(crate) fn discovery_service(root: &mut Value) {
    set(root, "spec.name", "maxLength", json!(127));
    set(root, "spec.namespaceId", "maxLength", json!(253));
    set(root, "spec.description", "maxLength", json!(1024));
    set(root, "spec.dnsConfig.dnsRecords", "minItems", json!(1));
    set(root, "spec.dnsConfig.dnsRecords", "maxItems", json!(4));
    set(root, "spec.dnsConfig.dnsRecords[].ttl", "minimum", json!(0));
    set(root, "spec.dnsConfig.dnsRecords[].ttl", "maximum", json!(2147483647));
    rule(root, "spec.name", "self == oldSelf", "A service's name cannot be changed.");
    rule(root, "spec.namespaceId", "self == oldSelf", "A service cannot move to another namespace.");
    rule(
        root,
        "spec",
        &format!("!has(self.dnsConfig) || self.name.matches('{DNS_SERVICE_PATTERN}')"),
        "A service with DNS records is named with a lowercase DNS label of up to 43 characters (a letter first): \
         its name is the first label of <name>.<namespace>",
    );
    rule(
        root,
        "spec.dnsConfig.dnsRecords",
        "self.all(r, self.exists_one(o, o.type == r.type))",
        "DnsRecords: each record type may appear once.",
    );
    rule(
        root,
        "spec.dnsConfig.dnsRecords",
        "!self.exists(r, r.type == 'CNAME') || self.size() == 1",
        "DnsRecords: a CNAME record cannot be combined with other records.",
    );
}
