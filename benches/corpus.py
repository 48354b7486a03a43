#!/usr/bin/env python3
"""A realistic engineering-blog corpus for benchmarks: Markdown posts with YAML front matter, as
`blog publish` and `blog serve --seed` accept them, the same for the same seed.

    benches/corpus.py OUT_DIR [--posts 1000] [--seed 1] [--short] [--slug-prefix new-] [--manifest FILE]

What it writes, per post `OUT_DIR/<slug>.md`:

- front matter: `title`, `date` (spread over eight years, 2017-2024; mostly `2019-03-14`, some
  Jekyll's `2019-03-14 10:30:00 +0100` or RFC 3339), `authors` (1-2 of 32, accented names
  among them, a few prolific), `categories` (1-3 of 10, a few much bigger than the rest), `tags`,
  and for about a third a `description` (which the blog takes as the excerpt); the odd `updated`;
- the body: mostly 1,500-5,000 words of prose (some short announcements below that, a long tail
  up to ~50 KB of Markdown), in sections (`##`, `###`) of paragraphs with links and inline code,
  fenced code blocks (go, rust, scala, python, yaml, sql, shell), tables, bulleted, numbered and
  task lists, block quotes, and in some posts footnotes;
- the teaser: about a third of the posts mark it with a `<!-- more -->` line (the blog's
  marker) after the introduction, a few with `<!--more-->` (Hugo's and WordPress's spelling);
  the rest let the blog take the first paragraph.

`--short` writes 150-600-word bodies of the same kinds of blocks (for seeding large stores
quickly). `--slug-prefix` makes slugs (file names) that cannot collide with another corpus's.
`--manifest FILE` writes JSON naming every post (slug, bytes, words, categories, authors, date)
and every category (slug, posts), for the scripts that use the corpus.

Prints the count, total bytes, size percentiles and the categories' sizes.
"""
import argparse
import json
import math
import pathlib
import random
import re
import sys
import time
import unicodedata

MAX_BYTES = 51_000  # the tail of long posts stops at about 50 KB of Markdown

# (name, weight): listings of a real blog are uneven.
CATEGORIES = [
    ("Microservices", 14), ("Data", 12), ("Infrastructure", 11), ("Backstage", 9),
    ("Developer Experience", 7), ("Mobile", 6), ("Web", 6), ("Security", 4),
    ("Machine Learning", 3), ("Culture", 2),
]

AUTHORS = [
    ("Matthias Käppler", 6), ("Argha Chattopadhyay", 3), ("Zoë Lefèvre", 4), ("José Álvarez", 3),
    ("Søren Østergaard", 2), ("Łukasz Wiśniewski", 3), ("Dominika Nováková", 2), ("Jürgen Weiß", 2),
    ("Inês Gonçalves", 2), ("François Brûlé", 1), ("Ayşe Yıldırım", 2), ("Nuño Peñalver", 1),
    ("Zuzana Horváthová", 1), ("Björn Ødegård", 2), ("Chloé Marchand", 2), ("Renée O'Connor", 1),
    ("Siobhán Ní Bhriain", 1), ("Mátyás Szőke", 1), ("Ngọc Trần", 2), ("Kristóf Bálint", 1),
    ("Steve Conover", 5), ("Priya Raghunathan", 3), ("Emma Lindqvist", 2), ("Tomás Ó Sé", 1),
    ("Ana Lúcia Ferreira", 2), ("Hannah Schäfer", 2), ("Mikael Åkerlund", 1), ("Oğuz Çelik", 1),
    ("David Nguyễn", 2), ("Laura Martínez", 3), ("Rafał Kołodziej", 1), ("Yūki Satō", 1),
]

TAGS = [
    "kubernetes", "go", "scala", "rust", "python", "kafka", "postgres", "mysql", "cassandra",
    "redis", "prometheus", "grafana", "tracing", "zipkin", "opentelemetry", "ci", "bazel",
    "docker", "terraform", "aws", "gcp", "ios", "android", "react", "typescript", "graphql",
    "grpc", "http", "haproxy", "envoy", "resilience", "on-call", "incident-review", "testing",
    "performance", "latency", "caching", "search", "recommendations", "hyperloglog", "spark",
    "bigquery", "airflow", "schema-registry", "avro", "protobuf", "security", "oauth", "tls",
    "hiring", "onboarding", "documentation", "runbooks", "code-review", "monorepo", "migration",
    "cost", "capacity-planning", "feature-flags", "a-b-testing",
]

SYSTEMS = [
    "the playlist service", "the upload pipeline", "our search cluster", "the track ingestion path",
    "the notification fan-out", "the payments gateway", "the recommendations API", "the edge proxy",
    "the feed service", "the event bus", "our metrics pipeline", "the build farm",
    "the mobile release train", "the web frontend", "the identity service", "the ad server",
    "the transcoding workers", "the stats aggregator", "the comment service", "the CDN layer",
]
TECHS = [
    "Kubernetes", "Kafka", "PostgreSQL", "Cassandra", "Redis", "Prometheus", "Envoy", "HAProxy",
    "Finagle", "gRPC", "Bazel", "Terraform", "Spark", "BigQuery", "Airflow", "Elasticsearch",
    "Go", "Rust", "Scala", "Python", "React", "Swift", "Kotlin", "GraphQL", "DynamoDB", "S3",
]
NOUNS = [
    "latency", "throughput", "tail latency", "error budget", "deploy", "rollback", "schema",
    "partition", "consumer group", "connection pool", "cache hit rate", "retry storm", "timeout",
    "circuit breaker", "backfill", "migration", "canary", "feature flag", "on-call rotation",
    "runbook", "dashboard", "alert", "load test", "query plan", "index", "shard", "replica",
    "queue depth", "heap", "garbage collector", "thread pool", "build cache", "test suite",
    "dependency graph", "service template", "code owner", "release branch", "postmortem",
]
VERBS = [
    "moved", "rewrote", "split", "measured", "instrumented", "sharded", "cached", "replaced",
    "simplified", "rolled out", "migrated", "profiled", "load-tested", "deprecated", "retired",
]
NUMBERS = ["two", "three", "four", "five", "a dozen", "forty", "several hundred", "thousands of"]
TEAMS = ["the platform team", "the data team", "our mobile engineers", "the SRE rotation",
         "the core team", "two squads", "the web guild", "the infrastructure group"]
IDENTS = [
    "maxIdleConns", "retry_budget", "ctx.Done()", "FutureTimeout", "consumer.poll()",
    "SELECT ... FOR UPDATE", "kubectl rollout status", "Cache-Control", "GOMAXPROCS",
    "tokio::spawn", "Arc<Mutex<_>>", "max.poll.records", "readinessProbe", "EXPLAIN ANALYZE",
    "p99", "fsync", "O_DIRECT", "--max-old-space-size", "@Transactional", "git bisect",
    "terraform plan", "bazel query", "ulimit -n", "SO_REUSEPORT", "work_mem", "HikariCP",
]
LINKS = [
    ("the Kubernetes documentation", "https://kubernetes.io/docs/concepts/workloads/pods/"),
    ("Kafka's consumer guide", "https://kafka.apache.org/documentation/#consumerconfigs"),
    ("the Postgres manual", "https://www.postgresql.org/docs/current/using-explain.html"),
    ("the Google SRE book", "https://sre.google/sre-book/handling-overload/"),
    ("Finagle's docs", "https://twitter.github.io/finagle/guide/Clients.html"),
    ("the Envoy docs", "https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/circuit_breaking"),
    ("this talk", "https://www.youtube.com/watch?v=lJ8ydIuPFeU"),
    ("the original paper", "https://research.google/pubs/pub40671/"),
    ("our service template", "https://github.com/example/service-template"),
    ("the RFC", "https://www.rfc-editor.org/rfc/rfc9111"),
    ("Martin Fowler's article", "https://martinfowler.com/articles/microservices.html"),
    ("the Rust book", "https://doc.rust-lang.org/book/ch16-00-concurrency.html"),
]

SENTENCES = [
    "When {team} {verb} {system} to {tech}, p99 latency dropped from {n1} ms to {n2} ms.",
    "The first thing we looked at was the {noun}, because it had been creeping up for weeks.",
    "None of this was new; {team} had seen the same {noun} problem in {system} a year before.",
    "We set `{ident}` explicitly, since the default is rarely what a service behind a load balancer wants.",
    "It turned out that {system} spent most of its time waiting on the {noun}, not doing work.",
    "As {link} puts it, a {noun} you have not measured is a {noun} you do not have.",
    "After {numword} iterations, the {noun} was stable enough to page on.",
    "We {verb} the {noun} behind a feature flag and watched the dashboards for a week.",
    "{tech} gave us most of what we needed out of the box; the rest was glue code.",
    "The trade-off is real: a tighter {noun} means more work for {team} when traffic spikes.",
    "Roughly {pct}% of requests hit the slow path, which was enough to dominate the tail.",
    "Nobody had touched `{ident}` since the service was created, and it showed.",
    "We wrote a small tool that replays a day of production traffic against {system}.",
    "The {noun} only mattered once {system} handled more than {n1} requests per second.",
    "Looking back, we should have {verb} the {noun} much earlier.",
    "See {link} for the details; what follows is how it played out for us.",
    "Every team now owns its {noun}, and {team} reviews the thresholds once a quarter.",
    "The fix itself was {n3} lines; finding it took {numword} days of reading traces.",
    "A {noun} that fires at 3 a.m. and needs no action is worse than no {noun} at all.",
    "We kept the old path running in parallel and compared every response for a month.",
    "This is where `{ident}` comes in: it lets {system} shed load before the {noun} fills up.",
    "Moving to {tech} was not free, and we underestimated the {noun} by a factor of {n4}.",
    "In practice, most incidents started with a {noun} that nobody was watching.",
    "Our rule of thumb: if the {noun} is not on a dashboard, it does not exist.",
    "Within {numword} weeks, {team} had {verb} {system} without a single customer-visible incident.",
    "The numbers below are from a typical Tuesday, our busiest day of the week.",
    "We did not get this right the first time, and the {noun} we shipped in {year} is proof of that.",
    "Some of this is specific to {tech}, but the lessons about the {noun} are not.",
]

HEADINGS = [
    "Background", "The problem", "What we tried first", "Measuring before changing",
    "Rolling it out", "What we learned", "Next steps", "Why not {tech}?", "The {noun}",
    "Living with the {noun}", "How {system} works today", "Where the time went", "Results",
    "Operating it", "Failure modes", "Testing in production", "Costs", "A note on {tech}",
    "Ownership", "Trade-offs", "The migration", "Observability", "Conclusion",
]

TITLES = [
    "How we {verb} {system} to {tech}", "Lessons from {numword} years of {tech}",
    "How {team} {verb} the {noun}", "{Tech} and the {noun}: a field report",
    "What a {noun} in {system} cost us", "Rethinking the {noun} in {system}",
    "{numword} {noun}s later: {system} with {tech}", "When the {noun} is the bottleneck",
    "{Tech} at scale: what the {noun} taught us", "Why we stopped worrying about the {noun}",
    "Scaling {system} to {n1} requests per second", "A year of {tech} in production",
    "Debugging a {noun} in {tech}", "Inside {system}", "The {noun} we did not know we had",
    "{Noun}s, {noun2}s and {tech}", "Moving {system} without downtime",
    "What {team} learned from the {noun}", "Taming the {noun} in {system}",
    "From monolith to {tech}: {system}", "Making the {noun} boring",
]

CODE = {
    "go": lambda r: f"""func ({r.choice('srhc')} *{r.choice(['Server', 'Handler', 'Client', 'Repo'])}) {r.choice(['Fetch', 'Serve', 'Load', 'Publish'])}{r.choice(['Track', 'Playlist', 'User', 'Event'])}(ctx context.Context, id int64) (*{r.choice(['Track', 'Playlist', 'Event'])}, error) {{
	ctx, cancel := context.WithTimeout(ctx, {r.choice([50, 100, 200, 500])}*time.Millisecond)
	defer cancel()
	row := s.db.QueryRowContext(ctx, `SELECT id, title, created_at FROM tracks WHERE id = $1`, id)
	var t Track
	if err := row.Scan(&t.ID, &t.Title, &t.CreatedAt); err != nil {{
		if errors.Is(err, sql.ErrNoRows) {{
			return nil, ErrNotFound
		}}
		return nil, fmt.Errorf("loading track %d: %w", id, err)
	}}
	s.metrics.Observe("track_load", time.Since(start).Seconds())
	return &t, nil
}}""",
    "rust": lambda r: f"""pub async fn {r.choice(['fetch', 'serve', 'publish', 'refresh'])}_{r.choice(['listing', 'counts', 'feed', 'index'])}(
    store: &dyn Store,
    key: &str,
) -> Result<Option<Listing>, StoreError> {{
    let started = Instant::now();
    let page = store
        .query(key, Limit::new({r.choice([10, 20, 50, 100])}))
        .await
        .map_err(StoreError::from)?;
    metrics::histogram!("query_seconds").record(started.elapsed().as_secs_f64());
    Ok(page.into_iter().next().map(|entry| Listing {{
        title: entry.title.clone(),
        published: entry.published,
        ..Listing::default()
    }}))
}}""",
    "scala": lambda r: f"""class {r.choice(['Track', 'Playlist', 'Stats', 'Comment'])}Endpoint(service: {r.choice(['Track', 'Playlist', 'Stats'])}Service) extends Service[Request, Response] {{
  private[this] val timeout = {r.choice([100, 200, 300])}.milliseconds

  def apply(req: Request): Future[Response] =
    req.params.getLong("id") match {{
      case Some(id) =>
        service
          .find(id)
          .raiseWithin(timeout)
          .map(render)
          .handle {{ case _: TimeoutException => Response(Status.ServiceUnavailable) }}
      case None => Future.value(Response(Status.BadRequest))
    }}
}}""",
    "python": lambda r: f"""def {r.choice(['backfill', 'aggregate', 'reconcile', 'replay'])}_{r.choice(['plays', 'events', 'counts', 'uploads'])}(day: date, batch_size: int = {r.choice([500, 1000, 5000])}) -> int:
    \"\"\"Reprocesses one day of events; safe to run twice.\"\"\"
    written = 0
    for batch in chunked(read_events(day), batch_size):
        rows = [to_row(event) for event in batch if event.valid]
        with connection.transaction():
            connection.executemany(UPSERT, rows)
        written += len(rows)
        log.info("day=%s written=%d", day.isoformat(), written)
    return written""",
    "yaml": lambda r: f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {r.choice(['playlists', 'tracks', 'search', 'stats', 'edge'])}
  labels:
    team: {r.choice(['core', 'data', 'platform', 'mobile'])}
spec:
  replicas: {r.choice([3, 6, 12, 24])}
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/app:{r.randrange(100, 999)}
          resources:
            requests: {{cpu: "{r.choice(['250m', '500m', '1'])}", memory: "{r.choice(['256Mi', '512Mi', '1Gi'])}"}}
          readinessProbe:
            httpGet: {{path: /health/ready, port: 8080}}
            periodSeconds: 5""",
    "sql": lambda r: f"""SELECT t.id,
       t.title,
       count(*) FILTER (WHERE p.played_at > now() - interval '{r.choice([1, 7, 30])} days') AS recent_plays,
       approx_count_distinct(p.listener_id) AS listeners
FROM tracks t
JOIN plays p ON p.track_id = t.id
WHERE t.created_at >= DATE '{r.randrange(2016, 2024)}-01-01'
GROUP BY t.id, t.title
HAVING count(*) > {r.choice([10, 100, 1000])}
ORDER BY recent_plays DESC
LIMIT {r.choice([20, 50, 100])};""",
    "shell": lambda r: f"""#!/usr/bin/env bash
set -euo pipefail
namespace={r.choice(['playlists', 'search', 'edge', 'stats'])}
kubectl -n "$namespace" rollout status deployment/app --timeout={r.choice([60, 120, 300])}s
for pod in $(kubectl -n "$namespace" get pods -l app=app -o name); do
  kubectl -n "$namespace" exec "$pod" -- curl -fsS localhost:8080/health/ready >/dev/null \\
    || echo "not ready: $pod"
done
wrk -t4 -c{r.choice([32, 64, 128])} -d30s --latency "https://$namespace.internal/" | tee wrk.txt""",
}
LANGUAGES = list(CODE)


def slugify(text: str) -> str:
    """The slug the blog makes of a category name or title (ASCII letters and digits, hyphens)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


class Writer:
    """One post's body, block by block, counting prose words."""

    def __init__(self, rng: random.Random, slugs: list[str]):
        self.r = rng
        self.slugs = slugs
        self.blocks: list[str] = []
        self.words = 0
        self.footnotes: list[str] = []
        self.with_footnotes = rng.random() < 0.15  # the odd post has footnotes

    def fill(self, template: str) -> str:
        r = self.r
        link_text, url = r.choice(LINKS)
        if self.slugs and r.random() < 0.25:
            link_text, url = "an earlier post", f"/posts/{r.choice(self.slugs)}"
        n1 = r.choice([40, 80, 120, 250, 400, 900, 1200, 5000, 20000])
        noun = r.choice(NOUNS)
        return template.format(
            team=r.choice(TEAMS), verb=r.choice(VERBS), system=r.choice(SYSTEMS),
            tech=r.choice(TECHS), Tech=r.choice(TECHS), noun=noun, Noun=noun.capitalize(),
            noun2=r.choice(NOUNS), ident=r.choice(IDENTS), link=f"[{link_text}]({url})",
            n1=n1, n2=max(2, n1 // r.choice([2, 3, 5, 10])), n3=r.choice([3, 12, 40, 200]),
            n4=r.choice([2, 3, 10]), numword=r.choice(NUMBERS), pct=r.choice([1, 3, 8, 15, 30]),
            year=r.randrange(2014, 2024),
        )

    def sentence(self) -> str:
        s = self.fill(self.r.choice(SENTENCES))
        s = re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", s)
        if self.r.random() < 0.08:
            s = re.sub(r"\bthe ([a-z]+)", r"the **\1**", s, count=1)
        elif self.r.random() < 0.05:
            s = s[:-1] + ", *mostly*."
        return s

    def add(self, text: str, prose: str | None = None) -> None:
        self.blocks.append(text)
        self.words += len((prose if prose is not None else text).split())

    def size(self) -> int:
        return sum(len(b.encode()) + 2 for b in self.blocks)

    def paragraph(self, sentences: tuple[int, int] = (3, 7)) -> None:
        text = " ".join(self.sentence() for _ in range(self.r.randint(*sentences)))
        if self.with_footnotes and self.r.random() < 0.04 and len(self.footnotes) < 4:
            n = len(self.footnotes) + 1
            text += f"[^{n}]"
            self.footnotes.append(f"[^{n}]: {self.sentence()}")
        self.add(text)

    def code(self) -> None:
        lang = self.r.choice(LANGUAGES)
        body = CODE[lang](self.r)
        if self.r.random() < 0.3:  # a longer listing: two pieces of the same language
            body += "\n\n" + CODE[lang](self.r)
        self.add(f"```{lang}\n{body}\n```", prose="")

    def table(self) -> None:
        r = self.r
        head = r.choice([
            ["Service", "p50 (ms)", "p99 (ms)", "Requests/s"],
            ["Step", "Before", "After", "Change"],
            ["Cluster", "Nodes", "CPU", "Memory", "Cost/month"],
            ["Option", "Pros", "Cons"],
        ])
        rows = []
        for _ in range(r.randint(3, 8)):
            row = [r.choice(SYSTEMS).replace("the ", "").replace("our ", "")]
            for _ in head[1:]:
                row.append(r.choice([str(r.randrange(1, 900)), f"{r.randrange(1, 99)}%",
                                     f"`{r.choice(IDENTS)}`", r.choice(NOUNS)]))
            rows.append(row)
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        self.add("\n".join(lines), prose=" ".join(" ".join(row) for row in rows))

    def listing(self) -> None:
        r = self.r
        kind = r.random()
        items = [self.sentence() for _ in range(r.randint(3, 7))]
        if kind < 0.5:
            lines = [f"- {item}" for item in items]
            if r.random() < 0.3:
                lines.insert(2, f"  - {self.sentence()}")
        elif kind < 0.85:
            lines = [f"{i}. {item}" for i, item in enumerate(items, 1)]
        else:
            lines = [f"- [{'x' if r.random() < 0.6 else ' '}] {item}" for item in items]
        self.add("\n".join(lines))

    def quote(self) -> None:
        text = " ".join(self.sentence() for _ in range(self.r.randint(1, 3)))
        who = self.r.choice(AUTHORS)[0] if self.r.random() < 0.5 else None
        self.add("> " + text + (f"\n>\n> — {who}" if who else ""))

    def section(self, level: int = 2) -> None:
        self.add("#" * level + " " + self.fill(self.r.choice(HEADINGS)))
        for _ in range(self.r.randint(2, 5)):
            self.paragraph()
            roll = self.r.random()
            if roll < 0.25:
                self.code()
            elif roll < 0.33:
                self.listing()
            elif roll < 0.38:
                self.table()
            elif roll < 0.42:
                self.quote()
        if level == 2 and self.r.random() < 0.3:
            self.section(level=3)


def word_target(rng: random.Random, short: bool) -> int:
    if short:
        return rng.randint(150, 600)
    roll = rng.random()
    if roll < 0.08:
        return rng.randint(500, 1500)  # announcements, short notes
    if roll < 0.90:
        return int(math.exp(rng.uniform(math.log(1500), math.log(5000))))
    return rng.randint(5000, 9000)  # the tail; stopped at MAX_BYTES


def front_matter(rng: random.Random, title: str, when: tuple, cats: list[str], authors: list[str],
                 description: str | None) -> str:
    y, mo, d, h, mi = when
    style = rng.random()
    if style < 0.7:
        date = f"{y:04d}-{mo:02d}-{d:02d}"
    elif style < 0.85:
        date = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:00 +0{rng.choice([0, 1, 2])}00"
    else:
        date = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:00Z"
    q = lambda s: json.dumps(s, ensure_ascii=False)  # JSON strings are YAML strings
    lines = [
        f"title: {q(title)}",
        f"date: {date}",
        f"authors: [{', '.join(q(a) for a in authors)}]",
        f"categories: [{', '.join(q(c) for c in cats)}]",
        f"tags: [{', '.join(q(t) for t in rng.sample(TAGS, rng.randint(2, 5)))}]",
    ]
    if description:
        lines.append(f"description: {q(description)}")
    if rng.random() < 0.05:
        lines.append(f"updated: {min(y + 1, 2025):04d}-{mo:02d}-{min(d, 28):02d}")
    return "---\n" + "\n".join(lines) + "\n---\n"


def generate(out: pathlib.Path, posts: int, seed: int, short: bool, prefix: str) -> dict:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    cat_names = [c for c, _ in CATEGORIES]
    cat_weights = [w for _, w in CATEGORIES]
    author_names = [a for a, _ in AUTHORS]
    author_weights = [w for _, w in AUTHORS]
    # Dates over eight years, written in date order as a blog grows.
    start, span = 1483228800, 8 * 365 * 86400  # 2017-01-01
    stamps = sorted(start + rng.randrange(span) for _ in range(posts))
    slugs: list[str] = []
    taken: set[str] = set()
    manifest = {"posts": [], "categories": {}}
    for i, stamp in enumerate(stamps):
        w = Writer(rng, slugs[-200:])
        for attempt in range(50):  # a title of its own, as on a real blog
            title = w.fill(rng.choice(TITLES))
            title = title[0].upper() + title[1:]
            if attempt >= 10:
                title += rng.choice([", part {}", " (part {})", ": round {}"]).format(rng.randint(2, 5))
            slug = prefix + slugify(title)
            if slug not in taken:
                break
        else:
            slug = f"{prefix}{slugify(title)}-{i}"
        taken.add(slug)
        cats = list(dict.fromkeys(rng.choices(cat_names, cat_weights, k=rng.choice([1, 1, 2, 2, 3]))))
        authors = list(dict.fromkeys(rng.choices(author_names, author_weights, k=rng.choice([1, 1, 1, 2]))))
        tm = time.gmtime(stamp)
        when = (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min)

        target = word_target(rng, short)
        w.paragraph((3, 6))
        if rng.random() < 0.5:
            w.paragraph((2, 5))
        marker = rng.random()
        if marker < 0.30:
            w.add("<!-- more -->", prose="")
        elif marker < 0.35:
            w.add("<!--more-->", prose="")
        description = w.sentence() if rng.random() < 0.3 else None
        if short:
            while w.words < target:
                w.section() if rng.random() < 0.3 else w.paragraph()
        else:
            while w.words < target:
                before = len(w.blocks)
                w.section()
                if w.size() > MAX_BYTES:  # the long tail stops at about 50 KB
                    del w.blocks[before:]
                    break
        if w.footnotes:
            w.add("\n".join(w.footnotes))
        body = "\n\n".join(w.blocks) + "\n"
        text = front_matter(rng, title, when, cats, authors, description) + "\n" + body
        (out / f"{slug}.md").write_text(text, encoding="utf-8")
        slugs.append(slug)
        manifest["posts"].append({
            "slug": slug, "file": f"{slug}.md", "bytes": len(text.encode()), "words": w.words,
            "date": f"{when[0]:04d}-{when[1]:02d}-{when[2]:02d}", "categories": cats, "authors": authors,
            "teaser": "description" if description else
                      "<!-- more -->" if marker < 0.30 else "<!--more-->" if marker < 0.35 else "first paragraph",
        })
        for c in cats:
            entry = manifest["categories"].setdefault(c, {"slug": slugify(c), "posts": 0})
            entry["posts"] += 1
    return manifest


def percentile(sorted_values: list[int], p: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--short", action="store_true", help="150-600-word bodies")
    parser.add_argument("--slug-prefix", default="")
    parser.add_argument("--manifest", type=pathlib.Path)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    if args.out.exists() and any(args.out.glob("*.md")):
        sys.exit(f"{args.out} already holds Markdown files: give an empty or new folder")
    manifest = generate(args.out, args.posts, args.seed, args.short, args.slug_prefix)
    if args.manifest:
        args.manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    if args.quiet:
        return
    sizes = sorted(p["bytes"] for p in manifest["posts"])
    words = sorted(p["words"] for p in manifest["posts"])
    teasers = {}
    for p in manifest["posts"]:
        teasers[p["teaser"]] = teasers.get(p["teaser"], 0) + 1
    print(f"{len(sizes)} posts in {args.out}, {sum(sizes):,} bytes "
          f"(seed {args.seed}{', short bodies' if args.short else ''})")
    print("bytes: " + ", ".join(f"p{p} {percentile(sizes, p):,}" for p in (10, 50, 90, 99)) +
          f", max {sizes[-1]:,}")
    print("words: " + ", ".join(f"p{p} {percentile(words, p):,}" for p in (10, 50, 90, 99)) +
          f", max {words[-1]:,}; {sum(1500 <= n <= 5000 for n in words) / len(words):.0%} in 1,500-5,000")
    cats = sorted(manifest["categories"].items(), key=lambda kv: -kv[1]["posts"])
    print("categories: " + ", ".join(f"{name} {c['posts']}" for name, c in cats))
    print("teasers: " + ", ".join(f"{k} {v}" for k, v in sorted(teasers.items())))
    print(f"authors: {len({a for p in manifest['posts'] for a in p['authors']})}, "
          f"dates {min(p['date'] for p in manifest['posts'])} to {max(p['date'] for p in manifest['posts'])}")


if __name__ == "__main__":
    main()
