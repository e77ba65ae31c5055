"""Scrapy settings for deskwatch: a careful crawler by default. Every DESKWATCH_ setting has its one
default here; components read them in from_crawler only."""
from __future__ import annotations

import os

BOT_NAME = "deskwatch"
SPIDER_MODULES = ["crawler.spiders"]  # walked recursively: includes crawler.spiders.advisories
NEWSPIDER_MODULE = "crawler.spiders"

# ---- deskwatch's own settings (defaults; the runner overrides them per run) -------------------------
DESKWATCH_CONTACT_URL = os.environ.get("DESKWATCH_CONTACT_URL", "https://github.com/deskwatch/deskwatch")
DESKWATCH_DB_URL = None  # None: storage's default (DESKWATCH_DB or the user data dir)
DESKWATCH_SOURCES_FILE = None  # None: config/sources.toml
DESKWATCH_REDIS_URL = os.environ.get("DESKWATCH_REDIS_URL") or None  # set: share queue + dupefilter in Redis
DESKWATCH_CRAWL_ID = os.environ.get("DESKWATCH_CRAWL_ID", "")  # processes with one id split one crawl
DESKWATCH_REDIS_IDLE_CLOSE_S = 8.0  # close when the shared queue stayed empty this long (> the 5 s heartbeat)
DESKWATCH_REDIS_KEY_TTL_S = 6 * 3600  # shared queue/dupefilter keys expire after a crawl
DESKWATCH_RETRY_BACKOFF_BASE_S = 1.0  # retry n waits base * 2**(n-1) seconds...
DESKWATCH_RETRY_BACKOFF_MAX_S = 60.0  # ...capped here
DESKWATCH_MAX_ARTICLES_PER_RUN = 500  # article pages one run may fetch for one source
DESKWATCH_MIN_BODY_CHARS = 300  # shorter bodies are fragments unless the feed's summary is as short
DESKWATCH_FETCH_ARTICLES = True  # False: keep the feed's own text (no article pages)
DESKWATCH_STORE_BATCH = 50  # articles written per transaction
DESKWATCH_STORE_FLUSH_S = 5.0  # ...or after this long, whichever comes first
DESKWATCH_EXTRACT_WORKERS = 1  # page-extraction processes beside the reactor (0: extract inline)
DESKWATCH_EXTRACT_POOL_MIN_PAGES = 40  # ...used only when a run has at least this many pages to read

# ---- politeness -------------------------------------------------------------------------------------
USER_AGENT = f"deskwatch/0.1 (+{DESKWATCH_CONTACT_URL}; news monitoring, obeys robots.txt)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_ITEMS = 10  # Scrapy starts this many workers per callback output; articles come one per page
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening control server inside a crawler
LOG_LEVEL = "INFO"

# ---- retries: with exponential backoff (crawler.middlewares.retry) -----------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.offsite.SourceOffsiteMiddleware": 50,  # every source's allowed_domains, redirects too
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    "crawler.middlewares.conditional.ConditionalGetMiddleware": 560,
    "crawler.middlewares.encoding.CharsetRepairMiddleware": 590,
    "crawler.middlewares.redirect_loop.RedirectLoopMiddleware": 620,  # before RedirectMiddleware (600) sees a 3xx
}
ITEM_PIPELINES = {
    "crawler.pipelines.dedupe.RunDedupePipeline": 200,
    "crawler.pipelines.store.StorePipeline": 800,
}

# ---- development only: an HTTP cache, off unless DESKWATCH_HTTPCACHE=1 ------------------------------
HTTPCACHE_ENABLED = os.environ.get("DESKWATCH_HTTPCACHE", "") == "1"
HTTPCACHE_EXPIRATION_SECS = 3600
HTTPCACHE_DIR = "httpcache"

FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def redis_settings(redis_url: str, crawl_id: str) -> dict[str, object]:
    """Scrapy settings that move the scheduler queue and the dupefilter into Redis (scrapy-redis), keyed
    per crawl id and source, so several processes split one crawl without fetching a page twice."""
    prefix = f"deskwatch:{crawl_id or 'default'}:%(spider)s"
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "SCHEDULER_PERSIST": True,  # a finishing process must not wipe what its peers still use
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,  # never block the reactor on BLPOP
        "REDIS_URL": redis_url,
    }
