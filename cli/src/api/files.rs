//! A post's files through the API: `POST /media` for upload slots, each file's bytes sent to
//! its slot as the slot says, then `POST /media` again so that the blog checks what arrived.

use anyhow::{Context, Result};
use blog_shared::http::ingest::{SlotAnswer, SlotRequest};
use blog_shared::paths;

use super::{Uploader, refusal};
use crate::prepare::PostMedia;

impl Uploader {
    /// `POST /media` for every file `media` holds: the blog checks and records the files
    /// uploaded since it was last asked, and answers, in order, which are stored and where to
    /// upload the others.
    async fn ask_about_files(&self, media: &PostMedia) -> Result<SlotAnswer> {
        let request = SlotRequest {
            files: media.files.iter().map(|p| p.file.clone()).collect(),
        };
        let body = serde_json::to_vec(&request).context("describing the files")?;
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(format!("{}{}", self.endpoint, paths::MEDIA))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .context("building the request")?;
        let response = self.execute(request).await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let answer: SlotAnswer = response.json().await.context("reading the answer")?;
        // Zipping would silently skip the files a short answer leaves out.
        anyhow::ensure!(
            answer.files.len() == media.files.len(),
            "the blog answered for {} files, but {} were asked about",
            answer.files.len(),
            media.files.len()
        );
        for (prepared, slot) in media.files.iter().zip(&answer.files) {
            anyhow::ensure!(
                slot.sha256 == prepared.file.sha256 && slot.name == prepared.file.name,
                "the blog answered for other files than were asked about"
            );
        }
        Ok(answer)
    }

    /// Stores every file `media` holds that the blog does not have yet: asks for upload slots
    /// (`POST /media`), sends each file's bytes to its slot, as the slot says, then asks again,
    /// so that the blog checks what arrived: every file must then be stored.
    pub(super) async fn store_files(&self, media: &PostMedia) -> Result<()> {
        if media.files.is_empty() {
            return Ok(());
        }
        let answer = self
            .ask_about_files(media)
            .await
            .context("asking for upload slots")?;
        let (mut uploaded, mut bytes, mut stored) = (0, 0, 0);
        for (prepared, slot) in media.files.iter().zip(&answer.files) {
            let Some(upload) = &slot.upload else {
                stored += 1;
                continue;
            };
            let method = http::Method::from_bytes(upload.method.as_bytes())
                .context("an upload slot with no method")?;
            // A slot carries its own authorisation (a presigned URL): sent as it is, unsigned.
            let mut request = self.http.request(method, &upload.url);
            for (name, value) in &upload.headers {
                request = request.header(name, value);
            }
            let response = request
                .body(prepared.bytes.clone())
                .send()
                .await
                .with_context(|| format!("uploading {}", prepared.file.name))?;
            if !response.status().is_success() {
                return Err(refusal(response)
                    .await
                    .context(format!("uploading {}", prepared.file.name)));
            }
            uploaded += 1;
            bytes += prepared.bytes.len() as u64;
        }
        if uploaded > 0 {
            let answer = self
                .ask_about_files(media)
                .await
                .context("having the uploaded files checked")?;
            let unchecked: Vec<&str> = answer
                .files
                .iter()
                .filter(|f| !f.stored)
                .map(|f| f.name.as_str())
                .collect();
            anyhow::ensure!(
                unchecked.is_empty(),
                "the blog did not find the uploads of {}",
                unchecked.join(", ")
            );
        }
        let mut total = self
            .transferred
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        total.0 += uploaded;
        total.1 += bytes;
        total.2 += stored;
        Ok(())
    }
}
