//! Every limit the blog keeps, each with the reason for it. A post within them is accepted by
//! every backend, locally and in AWS alike.

/// The largest body a full-text feed carries; longer posts appear in feeds by their excerpt and
/// a link. A long engineering post with highlighted code is 50–150 KB of HTML (the generated
/// corpus's median post is 87 KB), so a feed of ten entries stays a few megabytes at most.
pub const FEED_BODY_MAX_BYTES: usize = 256 * 1024;

/// The longest excerpt, as HTML, a listing row carries as written: every listing page reads its
/// rows whole, so a longer one (a `<!--more-->` placed late) is shortened to its text.
pub const MAX_EXCERPT_HTML_BYTES: usize = 2048;

/// How many characters of text a shortened excerpt keeps.
pub const SHORTENED_EXCERPT_CHARS: usize = 400;

/// The longest slug accepted, in bytes; keys stay short and URLs readable.
pub const MAX_SLUG_LEN: usize = 100;

/// The longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// The longest old path accepted, in bytes: it becomes a store key and a `Location`.
pub const MAX_PATH_LEN: usize = 300;

/// The most categories a post may have: each is a listing row and a counter written in the same
/// transaction, and a DynamoDB transaction holds at most 100 items.
pub const MAX_CATEGORIES: usize = 10;

/// The most authors a post may have: each has a listing row, like a category.
pub const MAX_AUTHORS: usize = 8;

/// The most old paths a post may redirect from, for the same reason. An update's transaction
/// touches at most 2 post items, the old and new rows of 1 + 10 + 8 listings (38), the old and
/// new redirects (20), 20 category counters and 2 rows of the index of every post: 82 items,
/// within DynamoDB's 100.
pub const MAX_REDIRECTS: usize = 10;

/// DynamoDB's limit on one item (400 KB, names and values counted), which every backend keeps
/// so that a post accepted locally is accepted in AWS. Counted as 400,000 bytes, not 409,600:
/// AWS's documentation says "400 KB", and DynamoDB-compatible servers differ on the kilobyte.
pub const MAX_ITEM_BYTES: usize = 400_000;

/// The largest upload read at all; a post's stored item must also fit [`MAX_ITEM_BYTES`].
/// Well under Lambda's 6 MB synchronous payload.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// The most URLs one sitemap lists: the Sitemaps protocol's limit. A year's sitemap lists its
/// posts and their categories' and authors' pages, so a year of more posts than this (over 130
/// a day) would not fit: its newest are left out, with a warning in the log.
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// The largest sitemap, uncompressed: the Sitemaps protocol's 50 MB. A URL's entry is at most
/// about 430 bytes (a 253-character host, a 100-character slug, a date), so 50,000 of them stay
/// under half of it; the writer checks all the same.
pub const SITEMAP_MAX_BYTES: usize = 52_428_800;

/// The most `Query` pages one year's sitemap reads. DynamoDB ends a page at 1 MB of rows, and a
/// listing row is about a kilobyte (a title, names, an excerpt of at most 2 KB), so this is
/// room for [`SITEMAP_MAX_URLS`] typical rows; a year whose rows are larger than that is cut
/// there, with a warning in the log.
pub const SITEMAP_MAX_PAGES: usize = 64;

/// The most years the sitemap index lists, newest first: it reads one `Query` of one row for
/// each. A blog's posts span a few dozen years at most; older years past this are left out,
/// with a warning in the log.
pub const SITEMAP_MAX_YEARS: usize = 100;

/// How deeply a post's elements may nest (block quotes, lists, raw HTML). Real posts stay far
/// below; the sanitiser's tree building is quadratic in depth, so deeper is refused.
pub const MAX_NESTING: usize = 100;

/// The longest name of a category, an author or a tag, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// DynamoDB's limit on one transaction: 4 MB of items in all (the post, every listing row,
/// redirect, counter and index row it writes).
pub const MAX_TRANSACTION_BYTES: usize = 4_000_000;

/// The largest file a post may use, in bytes (a screenshot, a PDF, an archive). The ingest
/// function reads a file once to check its bytes against its name, so it must fit its memory.
pub const MAX_MEDIA_BYTES: u64 = 25 * 1024 * 1024;

/// The most bytes of files one post may use, its images' variants included.
pub const MAX_POST_MEDIA_BYTES: u64 = 200 * 1024 * 1024;

/// The most files one post may use, variants included (a post with 100 screenshots, each in
/// four sizes).
pub const MAX_POST_MEDIA_FILES: usize = 400;

/// The longest name of a file in its URL, in bytes.
pub const MAX_MEDIA_NAME_LEN: usize = 100;

/// The longest side of an image, in pixels, as its header declares it.
pub const MAX_IMAGE_SIDE: u32 = 20_000;

/// The most pixels an image may declare: 80 million (a 4000 × 3000 photo has 12 million; a
/// decoder allocates 4 bytes for each).
pub const MAX_IMAGE_PIXELS: u64 = 80_000_000;

/// The largest file a Lambda function answers with itself: its response is base64-encoded
/// (4/3 larger) within Lambda's 6 MB payload. Larger files are for the CDN, which reads them
/// from the bucket directly; without it, a reader is redirected to a short-lived signed URL.
pub const MAX_SERVED_MEDIA_BYTES: u64 = 4_000_000;
