/**
 * Who is calling and what every function's Hono app carries for a request:
 * the roles, the signed-in user and the app's environment. Types (and the role
 * list) only, so auth.ts, http.ts and openapi.ts all import them without
 * importing each other.
 */
import type { JWTPayload } from "jose";
import type { Context } from "hono";
import type { OpenApiApp } from "./routing.ts";

export const APP_ROLES = ["user", "admin", "scanner", "coordinator"] as const;
export type AppRole = (typeof APP_ROLES)[number];

export interface AuthUser {
  id: string;
  email: string | undefined;
  /** Global roles from the token; every signed-in user also has `user`. */
  roles: AppRole[];
  isAdmin: boolean;
  claims: JWTPayload;
}

export type AppEnv = {
  Variables: {
    requestId: string;
    user: AuthUser;
  };
};

export type App = OpenApiApp<AppEnv>;
export type AppContext = Context<AppEnv>;
