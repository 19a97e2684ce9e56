// What a script does with the client: list the active employees page by page, then enrol
// the first one in a training session and report what came of it.
import { describe, VeerkrachtClient } from "./client";

export async function example(baseUrl: string, apiKey: string, sessionId: string): Promise<string[]> {
  const client = new VeerkrachtClient(baseUrl, apiKey);
  const lines: string[] = [];
  let first: string | undefined;
  let count = 0;
  for await (const employee of client.employees({ active: true, limit: 50 })) {
    first ??= employee.id;
    count += 1;
    if (count <= 5) lines.push(`${employee.last_name}, ${employee.first_name} (${employee.role})`);
  }
  lines.push(`${count} active employees`);
  if (first) lines.push(describe(await client.enrol(sessionId, { employee_id: first })));
  return lines;
}
