// A small typed client for the Veerkracht API. Every type comes from src/api.d.ts, which
// openapi-typescript generates from openapi/openapi.json (`npm run generate`); CI
// regenerates it, fails when it differs from the committed file, and compiles this file
// with `tsc --strict`. Uses the platform's fetch (Node 18+, browsers); no other dependency.
import type { components, paths } from "./api";

type Schemas = components["schemas"];
export type Employee = Schemas["EmployeePublic"];
export type EnrolmentCreate = Schemas["EnrolmentCreate"];
export type Enrolment = Schemas["EnrolmentPublic"];
export type Problem = Schemas["Problem"];
/** A 409: the request is well formed, the current state or a rule refuses it. */
export type RefusalProblem = Schemas["RefusalProblem"];
/** A 422: the input itself is invalid; `errors` points at each invalid field. */
export type InvalidProblem = Schemas["InvalidProblem"];
export type EmployeeQuery = NonNullable<paths["/v1/employees"]["get"]["parameters"]["query"]>;

/** What a write can come to: done, refused by a rule (409), invalid input (422). */
export type Outcome<T> =
  | { kind: "ok"; value: T }
  | { kind: "refused"; problem: RefusalProblem }
  | { kind: "invalid"; problem: InvalidProblem };

/** Any other problem (401, 403, 404, 5xx, ...), thrown with its problem document. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem ? `${status} ${problem.code}: ${problem.detail ?? problem.title}` : `HTTP ${status}`);
  }
}

export class VeerkrachtClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      Accept: "application/json",
    };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      // A retry of the same POST replays the first answer instead of acting twice.
      headers["Idempotency-Key"] = crypto.randomUUID();
      init.body = JSON.stringify(body);
    }
    return fetch(new URL(path, this.baseUrl), init);
  }

  private static async problem(response: Response): Promise<Problem | undefined> {
    const type = response.headers.get("content-type") ?? "";
    return type.startsWith("application/problem+json") ? ((await response.json()) as Problem) : undefined;
  }

  /** Every employee matching `query`, page after page (`next_cursor` until null). */
  async *employees(query: Omit<EmployeeQuery, "cursor"> = {}): AsyncGenerator<Employee> {
    let cursor: string | null | undefined = undefined;
    do {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries({ ...query, cursor })) {
        if (value !== undefined && value !== null) params.set(name, String(value));
      }
      const response = await this.call("GET", `/v1/employees?${params}`);
      if (!response.ok) throw new ProblemError(response.status, await VeerkrachtClient.problem(response));
      const page = (await response.json()) as Schemas["Page_EmployeePublic_"];
      yield* page.items;
      cursor = page.next_cursor;
    } while (cursor);
  }

  /** Enrol an employee in a training session: the rules may refuse it (409). */
  async enrol(sessionId: string, body: EnrolmentCreate): Promise<Outcome<Enrolment>> {
    const path = `/v1/training-sessions/${encodeURIComponent(sessionId)}/enrolments`;
    const response = await this.call("POST", path, body);
    if (response.status === 201) return { kind: "ok", value: (await response.json()) as Enrolment };
    const problem = await VeerkrachtClient.problem(response);
    if (response.status === 409 && problem) return { kind: "refused", problem: problem as RefusalProblem };
    if (response.status === 422 && problem) return { kind: "invalid", problem: problem as InvalidProblem };
    throw new ProblemError(response.status, problem);
  }
}

/** One line per outcome, as a script would report it. */
export function describe(outcome: Outcome<Enrolment>): string {
  switch (outcome.kind) {
    case "ok":
      return `enrolled (${outcome.value.status})`;
    case "refused":
      // Every 409 names the rules it broke.
      return outcome.problem.violations.map((v) => `refused by ${v.rule}: ${v.message}`).join("\n");
    case "invalid":
      // Every 422 points at each invalid field.
      return outcome.problem.errors.map((e) => `invalid ${e.pointer}: ${e.detail}`).join("\n");
  }
}
