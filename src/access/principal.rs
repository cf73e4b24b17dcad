//! [`Principal`]: who sends a request, as the access decision sees it — a configured user
//! (by access key) or nobody.

/// Who sends a request: a configured user (by access key) or nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal<'a> {
    Anonymous,
    User(&'a str),
}

impl<'a> Principal<'a> {
    pub fn from_user(user: Option<&'a str>) -> Principal<'a> {
        user.map_or(Principal::Anonymous, Principal::User)
    }
}
