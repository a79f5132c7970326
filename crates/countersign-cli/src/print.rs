//! What the command prints: text for people, JSON for scripts (`--json`).

use countersign_api::demo::DemoSummary;
use countersign_api::{
    ApiError, ApprovalView, CheckReport, EvidenceView, IdentityView, LineageNode, ManifestView,
    ObjectionStatus, ObjectionView, PacketView, PolicyView, RevisionContent, RevisionView,
    RunApprovalView, RunStepView, RunSummaryView, RunView, StatusView, ThreadView, VerifyReport,
    short,
};
use serde::Serialize;
use serde_json::json;

/// `println!` that ends the process quietly when stdout is closed (`countersign … | head`).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// Printer for one command.
#[derive(Debug)]
pub struct Out {
    json: bool,
    exit: u8,
}

fn print_json(v: &impl Serialize) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => say!("{s}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

impl Out {
    pub fn new(json: bool) -> Out {
        Out { json, exit: 0 }
    }

    pub fn exit_code(&self) -> u8 {
        self.exit
    }

    /// A new object: only its id on stdout.
    pub fn created(&self, id: &str) {
        if self.json {
            print_json(&json!({ "id": id }));
        } else {
            say!("{id}");
        }
    }

    /// Warn (on stderr) when a quote occurs more than once.
    pub fn occurrences(&self, found: usize, used: usize) {
        if found > 1 {
            eprintln!(
                "note: the quote occurs {found} times; anchored to occurrence {used} (choose another with --occurrence N)"
            );
        }
    }

    pub fn done(&self, id: &str, state: &str) {
        if self.json {
            print_json(&json!({ "id": id, "status": state }));
        } else {
            say!("{id}: {state}");
        }
    }

    pub fn identities(&self, list: &[IdentityView]) {
        if self.json {
            return print_json(&list);
        }
        if list.is_empty() {
            say!(
                "No identities yet. Add one with `countersign identity add --name NAME --role ROLE`."
            );
        }
        for i in list {
            let roles: Vec<_> = i.roles.iter().map(|r| r.as_str()).collect();
            say!(
                "{}  {:<24} {:<6} {}",
                short(&i.id),
                i.name,
                i.kind.as_str(),
                roles.join(", ")
            );
        }
    }

    pub fn packets(&self, list: &[PacketView]) {
        if self.json {
            return print_json(&list);
        }
        if list.is_empty() {
            say!(
                "No packets yet. Make one with `countersign packet new --title TITLE --owner IDENTITY`."
            );
        }
        for p in list {
            say!(
                "{}  {}  ({} revisions, {} open objections, {} blocking; owner {})",
                short(&p.id),
                p.title,
                p.revisions,
                p.open_objections,
                p.open_blocking,
                p.owner_name
            );
        }
    }

    pub fn show(&self, shown: &RevisionContent, html: Option<&str>) {
        if self.json {
            return print_json(&json!({
                "packet": shown.packet,
                "revision": shown.revision,
                "markdown": shown.markdown,
                "html": html,
            }));
        }
        let text = html.unwrap_or(&shown.markdown);
        say!("{}", text.strip_suffix('\n').unwrap_or(text));
    }

    pub fn log(&self, revisions: &[RevisionView]) {
        if self.json {
            return print_json(&revisions);
        }
        for r in revisions {
            let head = if r.head { "  (head)" } else { "" };
            let merge = if r.parents.len() > 1 { "  (merge)" } else { "" };
            say!(
                "r{:<3} {}  {}  {}{head}{merge}",
                r.number,
                r.id,
                r.created_at,
                r.author_name
            );
            if !r.message.is_empty() {
                say!("      {}", one_line(&r.message, 96));
            }
        }
    }

    pub fn threads(&self, list: &[ThreadView]) {
        if self.json {
            return print_json(&list);
        }
        if list.is_empty() {
            say!("No comment threads.");
        }
        for t in list {
            let state = if t.resolved { "resolved" } else { "open" };
            let at = match t.position {
                Some(p) => format!("at {}–{}", p.start, p.end),
                None => "OUTDATED: the wording is gone".to_owned(),
            };
            say!(
                "{}  [{state}] \"{}\"  {at}",
                short(&t.id),
                one_line(&t.quote, 60)
            );
            for m in &t.messages {
                say!("      {}: {}", m.author_name, one_line(&m.body, 90));
            }
        }
    }

    pub fn objections(&self, list: &[ObjectionView]) {
        if self.json {
            return print_json(&list);
        }
        if list.is_empty() {
            say!("No objections.");
            return;
        }
        let order = [
            (ObjectionStatus::Open, "OPEN"),
            (
                ObjectionStatus::AcceptedResidual,
                "ACCEPTED AS RESIDUAL DISAGREEMENT",
            ),
            (ObjectionStatus::Resolved, "RESOLVED"),
            (ObjectionStatus::Withdrawn, "WITHDRAWN"),
        ];
        for (status, heading) in order {
            let group: Vec<_> = list.iter().filter(|o| o.status == status).collect();
            if group.is_empty() {
                continue;
            }
            say!("{heading} ({})", group.len());
            for o in group {
                let blocking = if o.blocking {
                    "blocking"
                } else {
                    "non-blocking"
                };
                let at = match (o.position, &o.current_quote) {
                    (Some(p), None) => format!("at {}–{}", p.start, p.end),
                    (Some(p), Some(now)) => format!(
                        "at {}–{}, now reads \"{}\"",
                        p.start,
                        p.end,
                        one_line(now, 40)
                    ),
                    (None, _) => "OUTDATED: the wording is gone".to_owned(),
                };
                say!(
                    "  {}  {blocking}  \"{}\"  {at}",
                    short(&o.id),
                    one_line(&o.quote, 60)
                );
                say!(
                    "      {} objects: {}",
                    o.raised_by_name,
                    one_line(&o.body, 90)
                );
                if let Some(r) = &o.residual {
                    say!(
                        "      accepted by {} at {}: {}",
                        r.accepted_by_name,
                        r.at,
                        one_line(&r.rationale, 80)
                    );
                }
                // Moves made on two replicas at once: the one that could not take effect is
                // kept in the history and shown, never dropped.
                for h in o.history.iter().filter(|h| h.conflict.is_some()) {
                    say!(
                        "      CONFLICT: {} by {} at {} did not take effect: {}",
                        h.action,
                        h.actor_name,
                        h.at,
                        h.conflict.as_deref().unwrap_or_default()
                    );
                }
            }
        }
    }

    pub fn check(&mut self, r: &CheckReport) {
        if !r.ok {
            self.exit = 1;
        }
        if self.json {
            return print_json(r);
        }
        match &r.first_bad_event {
            Some(bad) => say!("FAILED: {bad}"),
            None => say!(
                "audit chain: {} events verified, every signature holds",
                r.events_verified
            ),
        }
        for p in &r.problems {
            say!("FAILED: {p}");
        }
        if r.ok {
            say!("SQLite integrity: ok");
            say!("ok");
        }
    }

    pub fn demo(&self, s: &DemoSummary) {
        if self.json {
            return print_json(s);
        }
        say!("Demo workspace ready at {}", s.workspace);
        say!("packet: {}", s.packet);
        say!(
            "Every demo identity's passphrase is \"{}\" (set COUNTERSIGN_PASSPHRASE to use it).",
            s.passphrase
        );
    }

    pub fn path(&self, p: &std::path::Path) {
        if self.json {
            print_json(&json!({ "path": p.display().to_string() }));
        } else {
            say!("{}", p.display());
        }
    }

    pub fn evidence(&self, list: &[EvidenceView]) {
        if self.json {
            return print_json(&list);
        }
        if list.is_empty() {
            say!(
                "No evidence. Import some with `countersign evidence add PACKET --source SOURCE --file PATH`."
            );
        }
        for e in list {
            say!(
                "{}  {} — {}  {}  (captured {})",
                short(&e.id),
                e.source,
                e.title,
                e.digest,
                e.captured_at
            );
            for v in e.history.iter().rev().skip(1) {
                say!(
                    "      earlier: v{} {} ({}, {})",
                    v.number,
                    v.digest,
                    v.captured_at,
                    v.added_by_name
                );
            }
        }
    }

    pub fn policy(&self, p: &PolicyView) {
        if self.json {
            return print_json(p);
        }
        let pol = &p.policy;
        let name = |id: &str| {
            pol.identity(id)
                .map_or_else(|| short(id).to_owned(), |i| i.name.clone())
        };
        say!("trust policy v{}  {}", pol.version, p.digest);
        say!(
            "  issued {}, expires {}, admin {}",
            pol.issued_at,
            pol.expires_at,
            name(&pol.admin)
        );
        say!("  identities:");
        for i in &pol.identities {
            let roles: Vec<_> = i.roles.iter().map(|r| r.as_str()).collect();
            let revoked = if i.keys.iter().all(|k| k.revoked_at.is_some()) {
                "  REVOKED"
            } else {
                ""
            };
            say!(
                "    {}  {:<22} {:<6} {}{revoked}",
                short(&i.id),
                i.name,
                i.kind.as_str(),
                roles.join(", ")
            );
        }
        if pol.lanes.is_empty() {
            say!("  lanes: none yet (add one with `countersign policy lane add`)");
        }
        for l in &pol.lanes {
            let roles: Vec<_> = l.required_roles.iter().map(|r| r.as_str()).collect();
            say!("  lane {}: \"{}\"", l.id, l.audience);
            say!(
                "    owner {}; {} distinct approver(s) holding {}{}",
                name(&l.owner),
                l.threshold,
                roles.join(" or "),
                if l.carry_over_trivial {
                    "; approvals carry over trivial changes"
                } else {
                    ""
                }
            );
        }
    }

    pub fn approval(&self, a: &ApprovalView) {
        if self.json {
            return print_json(a);
        }
        say!(
            "{} signed manifest v{} as {}: {} at {}",
            a.name,
            a.manifest_version,
            a.role,
            a.meaning,
            a.signed_at
        );
    }

    pub fn manifest(&self, m: &ManifestView) {
        if self.json {
            return print_json(m);
        }
        let man = &m.manifest;
        let name = |id: &str| {
            m.names
                .get(id)
                .cloned()
                .unwrap_or_else(|| short(id).to_owned())
        };
        say!("manifest v{}  {}", man.version, m.digest);
        say!(
            "  packet     {} ({})",
            man.packet.title,
            short(&man.packet.id)
        );
        say!("  revision   {}", man.revision.id);
        say!("  content    {}", man.revision.content_digest);
        say!("  lane       {}: \"{}\"", man.lane.id, man.lane.audience);
        say!("  policy     v{} {}", man.policy.version, man.policy.digest);
        say!("  owner      {}", name(&man.release_owner));
        let roles: Vec<_> = man
            .required_signers
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect();
        say!(
            "  signers    the owner and {} distinct approver(s) holding {}",
            man.required_signers.threshold,
            roles.join(" or ")
        );
        say!(
            "  drafted    {}, expires {}",
            man.created_at,
            man.expires_at
        );
        if let Some(prev) = &man.previous_revision {
            say!("  changed    from {} ({:?} change)", prev.id, prev.change);
        }
        say!(
            "  residual disagreement ({}):",
            man.residual_objections.len()
        );
        for r in &man.residual_objections {
            say!(
                "    {}  \"{}\"  accepted by {} at {}",
                short(&r.id),
                one_line(&r.quote, 60),
                name(&r.accepted_by),
                r.accepted_at
            );
        }
        say!("  outdated anchors ({}):", man.outdated_anchors.len());
        for a in &man.outdated_anchors {
            say!(
                "    {} {}  \"{}\"",
                a.kind,
                short(&a.id),
                one_line(&a.quote, 60)
            );
        }
        say!("  evidence ({}):", man.evidence.len());
        for e in &man.evidence {
            say!(
                "    {} — {}  {}  (captured {})",
                e.source,
                e.title,
                e.digest,
                e.captured_at
            );
        }
    }

    pub fn status(&self, st: &StatusView) {
        if self.json {
            return print_json(st);
        }
        say!("state: {}", st.state);
        let Some(m) = &st.manifest else {
            say!(
                "No manifest for lane {} yet. Draft one with `countersign manifest draft PACKET --lane {}`.",
                st.lane,
                st.lane
            );
            return;
        };
        say!(
            "manifest v{} {} for revision {}",
            m.manifest.version,
            m.digest,
            m.manifest.revision.id
        );
        if let Some(path) = &st.released_to {
            say!("released to {path}");
        }
        say!("approvals ({}):", st.approvals.len());
        for a in &st.approvals {
            let why = a
                .reason
                .as_deref()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default();
            say!(
                "  {} ({}): {} at {}{why}",
                a.name,
                a.role,
                a.meaning,
                a.signed_at
            );
        }
        if let Some(miss) = &st.missing {
            if let Some(owner) = &miss.owner {
                say!("missing: the release owner, {owner}");
            }
            if miss.more_approvals > 0 {
                say!(
                    "missing: {} more approval(s) from: {}",
                    miss.more_approvals,
                    miss.eligible.join(", ")
                );
            }
        }
        if !st.stale.is_empty() {
            say!(
                "stale approvals on superseded manifests ({}):",
                st.stale.len()
            );
            for a in &st.stale {
                say!(
                    "  {} on v{}: {} at {}",
                    a.name,
                    a.manifest_version,
                    a.meaning,
                    a.signed_at
                );
            }
        }
        if !st.holds.is_empty() {
            say!("holds ({}):", st.holds.len());
            for h in &st.holds {
                let who = match (&h.actor_name, h.at) {
                    (Some(n), Some(at)) => format!(" (by {n} at {at})"),
                    _ => String::new(),
                };
                let flag = if h.holding { "HELD" } else { "note" };
                say!("  {flag}: {}{who}", h.description);
            }
        }
    }

    pub fn verified(&self, r: &VerifyReport) {
        if self.json {
            return print_json(r);
        }
        say!("VERIFIED: \"{}\" revision {}", r.title, r.revision);
        say!(
            "  lane {} (\"{}\"), manifest v{} {}",
            r.lane,
            r.audience,
            r.version,
            r.manifest
        );
        say!(
            "  {} residual objection(s) and {} evidence item(s) bound",
            r.residual_objections,
            r.evidence
        );
        for s in &r.signers {
            say!(
                "  signed by {} ({}) at {}: {}",
                s.name,
                s.role,
                s.signed_at,
                s.meaning.as_str()
            );
        }
    }

    pub fn runs(&self, list: &[RunSummaryView]) {
        if self.json {
            return print_json(&list);
        }
        if list.is_empty() {
            say!(
                "No runs yet. Make one with `countersign run new --name NAME --pattern external --owner IDENTITY --trigger TEXT`."
            );
        }
        for r in list {
            let pending = if r.pending_approvals > 0 {
                format!(", {} approval(s) pending", r.pending_approvals)
            } else {
                String::new()
            };
            say!(
                "{}  {:<10} {}  ({}; owner {}{pending}; last run {})",
                short(&r.id),
                r.status.as_str(),
                r.name,
                r.pattern.as_str(),
                r.owner_name,
                r.last_run
            );
        }
    }

    pub fn run(&self, r: &RunView) {
        if self.json {
            return print_json(r);
        }
        say!("{}  {}", r.name, r.id);
        say!(
            "  status     {}: {}",
            r.status.as_str().to_uppercase(),
            r.status_reason
        );
        say!(
            "  pattern    {}: {}",
            r.pattern.as_str(),
            r.pattern_description
        );
        say!("  owner      {} ({})", r.owner_name, r.owner_kind.as_str());
        say!(
            "  trigger    {} (source: {}, {})",
            r.trigger.text,
            r.trigger.source,
            r.trigger.at
        );
        say!("  last run   {}", r.last_run);
        if let Some(p) = &r.packet {
            say!(
                "  packet     {} ({}), lane {}: {}",
                p.title,
                short(&p.id),
                p.lane,
                p.state
            );
        }
        let a = &r.counts.approvals;
        say!(
            "  approvals  {} pending, {} approved, {} rejected. {}",
            a.pending,
            a.approved,
            a.rejected,
            r.gating
        );
        say!("steps:");
        for s in &r.steps {
            say!(
                "  {:02} {:<18} {}",
                s.number,
                s.status.as_str().to_uppercase(),
                s.name
            );
            say!("     {}", one_line(&s.explanation, 110));
        }
        say!("approvals ({}):", r.approvals.len());
        for ap in &r.approvals {
            say!(
                "  {}  [{}] \"{}\"  risk {}{}",
                short(&ap.id),
                ap.status.as_str(),
                ap.title,
                ap.risk.as_str(),
                ap.gates_step
                    .map(|n| format!(", gates step {n}"))
                    .unwrap_or_default()
            );
            say!("      requires: {}", one_line(&ap.requirement, 100));
            say!("      approver: {}", ap.approver_label);
            if let Some(by) = &ap.decided_by_name {
                let why = ap
                    .reason
                    .as_deref()
                    .map(|w| format!(" — {}", one_line(w, 80)))
                    .unwrap_or_default();
                say!("      decided by {by}{why}");
            }
        }
        say!("meetings ({}):", r.meetings.len());
        for m in &r.meetings {
            say!(
                "  {}  \"{}\" ({}, held {}; {})",
                short(&m.id),
                m.title,
                m.format.as_str(),
                m.held_at,
                if m.participants.is_empty() {
                    "no participants named".to_owned()
                } else {
                    m.participants.join(", ")
                }
            );
        }
        say!("outputs ({}):", r.outputs.len());
        for o in &r.outputs {
            say!(
                "  {}  [{}] {}: {}",
                short(&o.id),
                o.status.as_str(),
                o.kind,
                one_line(&o.text, 80)
            );
        }
        say!("files ({}):", r.files.len());
        for f in &r.files {
            let made = f
                .step
                .map(|n| format!(", made by step {n}"))
                .unwrap_or_default();
            say!(
                "  {}  {} ({}{made})  {}",
                short(&f.id),
                f.title,
                f.role,
                f.digest
            );
        }
        say!("roadmap links ({}):", r.roadmap.len());
        for l in &r.roadmap {
            say!(
                "  {}  {}{}",
                l.key,
                l.title,
                l.url
                    .as_deref()
                    .map(|u| format!("  <{u}>"))
                    .unwrap_or_default()
            );
        }
    }

    pub fn run_approval(&self, a: &RunApprovalView) {
        if self.json {
            return print_json(a);
        }
        say!("{}: {}", a.id, a.status.as_str());
    }

    pub fn run_step(&self, s: &RunStepView) {
        if self.json {
            return print_json(s);
        }
        say!("step {}: {}", s.number, s.status.as_str());
    }

    pub fn lineage(&self, root: &LineageNode) {
        if self.json {
            return print_json(root);
        }
        fn walk(n: &LineageNode, depth: usize) {
            let pad = "  ".repeat(depth);
            let digest = n
                .digest
                .as_deref()
                .map(|d| format!("  {d}"))
                .unwrap_or_default();
            say!(
                "{pad}{} {}  {}{digest}",
                n.kind,
                short(&n.id),
                one_line(&n.label, 80)
            );
            if let Some(d) = &n.detail {
                say!("{pad}    {}", one_line(d, 100));
            }
            if let Some(s) = &n.made_by {
                say!(
                    "{pad}    made by step {} ({}), {}",
                    s.number,
                    s.name,
                    s.status.as_str()
                );
            }
            if let Some(a) = &n.gated_by {
                say!("{pad}    gated by \"{}\", {}", a.title, a.status.as_str());
            }
            for i in &n.inputs {
                walk(i, depth + 1);
            }
        }
        walk(root, 0);
    }

    pub fn error(&self, e: &ApiError) {
        if self.json {
            let v = json!({ "error": { "code": e.code(), "message": e.to_string() } });
            eprintln!("{v}");
        } else {
            eprintln!("error: {e}");
        }
    }
}
