//! Every API endpoint declares who may call it. Routes can only be added to the API
//! through [`ApiRoutes`], which records the declaration and enforces it on the server, so
//! an endpoint without one cannot exist; a test checks the list against the OpenAPI
//! document and calls each protected endpoint without a session.

use crate::auth::{MemberPrincipal, Principal, StaffPrincipal};
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use huiyuan_shared::Permission;

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not (health, login).
    Public,
    /// A logged-in member.
    Member,
    /// Any logged-in staff member (their own session).
    Staff,
    /// A logged-in staff member holding this permission.
    Permission(Permission),
}

/// One declared endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    /// The path as axum and OpenAPI write it, e.g. `/api/v1/sales/{id}`.
    pub path: &'static str,
    pub access: Access,
}

/// The API router under construction, with the declaration of each route.
pub struct ApiRoutes {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Default for ApiRoutes {
    fn default() -> Self {
        Self::new()
    }
}

impl ApiRoutes {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            specs: Vec::new(),
        }
    }

    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(MethodFilter::GET, "GET", path, access, handler)
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(MethodFilter::POST, "POST", path, access, handler)
    }

    /// A POST route that reads a body of up to `body_bytes_max` bytes instead of the API's
    /// default, for uploads such as bulk imports.
    pub fn post_with_body_limit<H, T>(
        mut self,
        path: &'static str,
        access: Access,
        body_bytes_max: usize,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        // The route's limit is set after the API-wide one, so it is the one that holds.
        let guarded = on(MethodFilter::POST, handler)
            .layer(DefaultBodyLimit::max(body_bytes_max))
            .route_layer(middleware::from_fn(move |request: Request, next: Next| {
                enforce(access, request, next)
            }));
        self.router = self.router.route(path, guarded);
        self.specs.push(RouteSpec {
            method: "POST",
            path,
            access,
        });
        self
    }

    pub fn put<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(MethodFilter::PUT, "PUT", path, access, handler)
    }

    pub fn patch<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(MethodFilter::PATCH, "PATCH", path, access, handler)
    }

    pub fn delete<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(MethodFilter::DELETE, "DELETE", path, access, handler)
    }

    fn add<H, T>(
        mut self,
        filter: MethodFilter,
        method: &'static str,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let guarded = on(filter, handler).route_layer(middleware::from_fn(
            move |request: Request, next: Next| enforce(access, request, next),
        ));
        self.router = self.router.route(path, guarded);
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }

    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    /// The router, with every request's principal resolved before the route's check.
    pub fn into_router(self, state: AppState) -> Router<AppState> {
        self.router
            .layer(middleware::from_fn_with_state(state, authenticate))
    }
}

/// Resolves the session of every API request into an `Option<Principal>` extension.
async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let principal = match crate::auth::principal::resolve(&state.db, &parts).await {
        Ok(principal) => principal,
        Err(error) => return AppError::Database(error).into_response(),
    };
    parts.extensions.insert(principal);
    next.run(Request::from_parts(parts, body)).await
}

fn principal_of(parts_extensions: &axum::http::Extensions) -> Option<&Principal> {
    parts_extensions
        .get::<Option<Principal>>()
        .and_then(Option::as_ref)
}

async fn enforce(access: Access, request: Request, next: Next) -> Response {
    let principal = principal_of(request.extensions());
    let verdict = match (access, principal) {
        (Access::Public, _) => Ok(()),
        (Access::Member, Some(Principal::Member(..))) => Ok(()),
        (Access::Staff, Some(Principal::Staff(..))) => Ok(()),
        (Access::Permission(permission), Some(Principal::Staff(staff, _))) => {
            if staff.can(permission) {
                Ok(())
            } else {
                Err(AppError::Forbidden(permission))
            }
        }
        _ => Err(AppError::Unauthenticated),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// The staff member calling a staff endpoint, and their session token.
pub struct StaffAuth(pub StaffPrincipal, pub String);

impl<S: Send + Sync> FromRequestParts<S> for StaffAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match principal_of(&parts.extensions) {
            Some(Principal::Staff(staff, token)) => Ok(StaffAuth(staff.clone(), token.clone())),
            _ => Err(AppError::Unauthenticated),
        }
    }
}

/// The member calling a member endpoint, and their session token.
pub struct MemberAuth(pub MemberPrincipal, pub String);

impl<S: Send + Sync> FromRequestParts<S> for MemberAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match principal_of(&parts.extensions) {
            Some(Principal::Member(member, token)) => Ok(MemberAuth(member.clone(), token.clone())),
            _ => Err(AppError::Unauthenticated),
        }
    }
}
