// Compiled by tests/clients/test_openapi_typescript.py beside the types that
// openapi-typescript makes of /openapi.json (sessionator-api.ts): what a team's
// code relies on must type-check, and what the service refuses must not.
import type { components, operations, paths } from "./sessionator-api";

type Schemas = components["schemas"];

// Both PATCH flavours have a typed body: a merge patch object, a JSON Patch array.
type MergePatch = paths["/v1/sessions/{sid}/{ns}"]["patch"]["requestBody"]["content"]["application/merge-patch+json"];
export const merge: MergePatch = { things: ["cats"], old: null };
type JsonPatch = operations["jsonPatchNamespace"]["requestBody"]["content"]["application/json-patch+json"];
export const jsonPatch: JsonPatch = [
  { op: "add", path: "/things/-", value: "owls" },
  { op: "remove", path: "/old" },
  { op: "move", from: "/a", path: "/b" },
];
// @ts-expect-error: "frobnicate" is no JSON Patch operation.
export const notAnOperation: JsonPatch = [{ op: "frobnicate", path: "/a" }];

// The ETag is a typed response header; the conditional headers are typed parameters.
export const etag: operations["getNamespace"]["responses"][200]["headers"]["ETag"] = '"0a"';
export const ifMatch: NonNullable<operations["putNamespace"]["parameters"]["header"]>["If-Match"] = '"0a"';

// Schema namespaces have operations of their own, typed by their schema.
type CartBody = operations["putCheckoutCartV1"]["requestBody"]["content"]["application/json"];
export const cart: CartBody = { currency: "EUR", items: [{ sku: "A-1", quantity: 2, unitPrice: 3.5 }] };
// @ts-expect-error: the cart's currency is one of EUR, GBP, USD.
export const badCart: CartBody = { currency: "XXX", items: [] };
type StoredCart = operations["putCheckoutCartV1"]["responses"][200]["content"]["application/json"];
export const currencyOf = (stored: StoredCart): string => stored.currency + stored._modified;

// One Error shape, its code an enum.
export const code: Schemas["Error"]["error"] = "precondition_failed";
// @ts-expect-error: not an error code of the service.
export const notACode: Schemas["Error"]["error"] = "oops";
