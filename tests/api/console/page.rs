//! A console page in headless Chromium, as the console tests drive it: wait for a
//! JavaScript condition, click, type, confirm, move through addresses, read the browser's
//! own console log (no JavaScript error may appear on any page), and save screenshots for
//! the README when asked to (`ORIGINSTORE_SCREENSHOTS=1`).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::browser::Driver;

/// The WebDriver command that reads the browser's log (chromedriver's `se/log`).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

pub struct Page {
    pub browser: fantoccini::Client,
    base: String,
    /// Kept alive as long as the page.
    _driver: Driver,
}

impl Page {
    /// A browser on `base` (`http://127.0.0.1:port`), at `path`.
    pub async fn open(base: &str, path: &str) -> Page {
        let driver = Driver::start();
        let browser = driver.session().await;
        let page = Page {
            browser,
            base: base.to_owned(),
            _driver: driver,
        };
        page.goto(path).await;
        page
    }

    /// Load `path` (a reload when it is the current address).
    pub async fn goto(&self, path: &str) {
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("page loads");
    }

    /// Poll `check` (a JavaScript expression) until it is true.
    pub async fn until(&self, what: &str, check: &str) {
        let started = Instant::now();
        let script = format!("return Boolean({check});");
        loop {
            if self.browser.execute(&script, vec![]).await.ok() == Some(json!(true)) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what}: never true: {check}\npage text: {}",
                self.text("#view").await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Run a script; its value.
    pub async fn run(&self, script: &str) -> Value {
        self.browser
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}: {script}"))
    }

    /// Run a script whose last argument is the callback it answers with.
    pub async fn run_async(&self, script: &str) -> Value {
        self.browser
            .execute_async(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}: {script}"))
    }

    /// The text of the first element matching `css` ("" when none).
    pub async fn text(&self, css: &str) -> String {
        let script = format!(
            "return document.querySelector({})?.textContent ?? ''",
            json!(css)
        );
        match self.browser.execute(&script, vec![]).await {
            Ok(Value::String(s)) => s,
            _ => String::new(),
        }
    }

    pub async fn path(&self) -> String {
        self.run("return location.pathname + location.search")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Click the first element matching `css` (as a user would: the element must be there).
    pub async fn click(&self, css: &str) {
        self.until(
            &format!("{css} is there"),
            &format!("document.querySelector({})", json!(css)),
        )
        .await;
        self.browser
            .find(fantoccini::Locator::Css(css))
            .await
            .expect("the element")
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Click and accept the confirmation the click asks for.
    pub async fn click_and_confirm(&self, css: &str) {
        self.click(css).await;
        let started = Instant::now();
        while self.browser.accept_alert().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no confirmation after {css}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clear the field matching `css` and type `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        self.until(
            &format!("{css} is there"),
            &format!("document.querySelector({})", json!(css)),
        )
        .await;
        let field = self
            .browser
            .find(fantoccini::Locator::Css(css))
            .await
            .expect("field");
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Set a select's (or an input's) value as a choice would, firing `change`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.until(
            &format!("{css} is there"),
            &format!("document.querySelector({})", json!(css)),
        )
        .await;
        self.run(&format!(
            "const e = document.querySelector({}); e.value = {}; e.dispatchEvent(new Event('change', {{bubbles: true}}));",
            json!(css),
            json!(value)
        ))
        .await;
    }

    /// Sign in with the console's form.
    pub async fn sign_in(&self, access_key: &str, secret_key: &str) {
        self.until("the sign-in form", "document.getElementById('sign-in')")
            .await;
        self.fill("#access-key", access_key).await;
        self.fill("#secret-key", secret_key).await;
        self.click("#sign-in button[type=submit]").await;
    }

    /// Follow an in-page link to `href` (as a click on it).
    pub async fn follow(&self, href: &str) {
        self.click(&format!("a[href=\"{href}\"]")).await;
        self.until(
            &format!("at {href}"),
            &format!("location.pathname + location.search === {}", json!(href)),
        )
        .await;
    }

    /// The browser's log entries since the last call that are errors from a script (not the
    /// network's: a 404 the page asked for on purpose is logged by the browser too).
    pub async fn script_errors(&self) -> Vec<Value> {
        let log = self
            .browser
            .issue_cmd(BrowserLog)
            .await
            .expect("the browser's log");
        log.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
            .filter(|e| {
                !e["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("Failed to load resource")
            })
            .collect()
    }

    /// The browser's log entries since the last call that are failed requests.
    pub async fn assert_no_script_error(&self, on: &str) {
        let errors = self.script_errors().await;
        assert!(errors.is_empty(), "JavaScript errors on {on}: {errors:#?}");
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.browser
            .set_window_size(width, height)
            .await
            .expect("resize");
    }

    /// Save a screenshot of the page's top under `docs/` when asked to
    /// (`ORIGINSTORE_SCREENSHOTS=1`).
    pub async fn screenshot(&self, name: &str) {
        self.screenshot_at(name, "body").await;
    }

    /// [`Page::screenshot`] with the element matching `css` at the top.
    pub async fn screenshot_at(&self, name: &str, css: &str) {
        if std::env::var_os("ORIGINSTORE_SCREENSHOTS").is_none() {
            return;
        }
        self.run(&format!(
            "document.querySelector({}).scrollIntoView()",
            json!(css)
        ))
        .await;
        let png = self.browser.screenshot().await.expect("screenshot");
        let path = format!("{}/docs/{name}.png", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(path, png).expect("write the screenshot");
    }
}
