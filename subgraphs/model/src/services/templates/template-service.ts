import { UniqueConstraintViolationException, type EntityManager } from "@mikro-orm/core";
import { AppError, badInput, conflict, ErrorCode, forbidden, notFound, parseInput, type Caller } from "@ods/kit";
import { z } from "zod";
import { PromptTemplate, PromptTemplateVersion } from "../../entities/index.js";
import { ApiError, invalidRequest } from "../api-error.js";
import { placeholders, renderTemplate, VARIABLE_NAME } from "./render.js";

const name = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N}._:/@+-]*$/u,
    "may hold letters, digits and . _ : / @ + - and must not start with a symbol",
  );
const text = z.string().min(1, "must not be empty").max(100_000, "must be at most 100000 characters");
const variables = z
  .array(z.string().regex(VARIABLE_NAME, "must be a name of letters, digits and _ (dots separate parts)"))
  .max(200, "must hold at most 200 names");
const description = z.string().max(2000, "must be at most 2000 characters").nullish();

export const createPromptTemplateInput = z.object({
  name,
  description,
  template: text,
  variables: variables.nullish(),
});
export const updatePromptTemplateInput = z.object({ description, template: text, variables: variables.nullish() });
const renderVariables = z.record(z.string(), z.unknown(), { error: "must be an object of name: value" });

/** What chat requests send as the `prompt_template` extension of `/v1/chat/completions`. */
export const promptTemplateRef = z.object({
  name: z.string().min(1, "is required"),
  version: z.number().int().min(1, "must be at least 1").nullish(),
  variables: renderVariables.nullish(),
});
export type PromptTemplateRef = z.infer<typeof promptTemplateRef>;

export type CreatePromptTemplateData = z.input<typeof createPromptTemplateInput>;
export type UpdatePromptTemplateData = z.input<typeof updatePromptTemplateInput>;

/**
 * The declared variables of a version: the ones given (which must include every placeholder, so a template
 * never needs a value nobody knows about) or, when none are given, the placeholders in order of appearance.
 */
function declare(template: string, given: string[] | null | undefined): string[] {
  const used = placeholders(template);
  if (!given) return used;
  const undeclared = used.filter((v) => !given.includes(v));
  if (undeclared.length > 0) {
    throw badInput(`The template uses undeclared variables: ${undeclared.join(", ")}`, {
      variables: `must list ${undeclared.join(", ")}`,
    });
  }
  return [...new Set(given)];
}

/** Named, versioned prompt templates: every change is a new version; old versions stay renderable. */
export class TemplateService {
  /** Every template (its latest version), by name. */
  async list(em: EntityManager): Promise<PromptTemplate[]> {
    return em.find(PromptTemplate, {}, { orderBy: { name: "asc" } });
  }

  /** A version of the template `name` (the latest when `version` is not given), or null. */
  async find(em: EntityManager, templateName: string, version?: number | null): Promise<PromptTemplateVersion | null> {
    const template = await em.findOne(PromptTemplate, { name: templateName });
    if (!template) return null;
    return em.findOne(PromptTemplateVersion, { templateId: template.id, version: version ?? template.version });
  }

  /** Every version of a template, newest first. */
  async versions(em: EntityManager, template: PromptTemplate): Promise<PromptTemplateVersion[]> {
    return em.find(PromptTemplateVersion, { templateId: template.id }, { orderBy: { version: "desc" } });
  }

  /** Creates a template at version 1. */
  async create(em: EntityManager, caller: Caller & { userId: string }, input: CreatePromptTemplateData) {
    const data = parseInput(createPromptTemplateInput, input);
    const declared = declare(data.template, data.variables);
    if (await em.count(PromptTemplate, { name: data.name }))
      throw conflict(`A prompt template named ${data.name} already exists`);
    const template = em.create(PromptTemplate, {
      name: data.name,
      description: data.description ?? null,
      version: 1,
      template: data.template,
      variables: declared,
      ownerId: caller.userId,
    });
    this.addVersion(em, template, caller.userId);
    await this.flush(em, data.name);
    return template;
  }

  /** Saves a new version of the template `name` (its owner or an admin); older versions are kept. */
  async update(
    em: EntityManager,
    caller: Caller & { userId: string },
    templateName: string,
    input: UpdatePromptTemplateData,
  ): Promise<PromptTemplate> {
    const data = parseInput(updatePromptTemplateInput, input);
    const template = await em.findOne(PromptTemplate, { name: templateName });
    if (!template) throw notFound("Prompt template", templateName);
    if (!caller.roles.includes("admin") && template.ownerId !== caller.userId) {
      throw forbidden("Only the template's owner or an admin may change it");
    }
    template.template = data.template;
    template.variables = declare(data.template, data.variables);
    if (data.description !== undefined) template.description = data.description;
    template.version += 1;
    this.addVersion(em, template, caller.userId);
    // Two updates racing for the same version number: the unique (template, version) index lets one win.
    await this.flush(em, templateName, "was changed by someone else at the same time; try again");
    return template;
  }

  /** Renders a version of the template `name` with `values`; BAD_USER_INPUT names a missing variable. */
  async render(
    em: EntityManager,
    templateName: string,
    version: number | null | undefined,
    values: unknown,
  ): Promise<string> {
    const vars = parseInput(z.object({ variables: renderVariables }), { variables: values ?? {} }).variables;
    const found = await this.find(em, templateName, version);
    if (!found) throw notFound("Prompt template", version ? `${templateName} version ${version}` : templateName);
    return renderTemplate(found.template, found.variables, vars);
  }

  /**
   * Renders the `prompt_template` extension of a chat request, for the OpenAI-compatible API: failures are
   * answered in OpenAI's error shape (400 naming the variable, 404 for an unknown template).
   */
  async renderForChat(em: EntityManager, ref: PromptTemplateRef): Promise<string> {
    try {
      return await this.render(em, ref.name, ref.version, ref.variables ?? {});
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.NOT_FOUND) {
        throw new ApiError(404, err.message, "invalid_request_error", "prompt_template_not_found", "prompt_template");
      }
      if (err instanceof AppError && err.code === ErrorCode.BAD_USER_INPUT) {
        throw invalidRequest(err.message, "prompt_template.variables");
      }
      throw err;
    }
  }

  private addVersion(em: EntityManager, template: PromptTemplate, userId: string): void {
    em.create(PromptTemplateVersion, {
      templateId: template.id,
      name: template.name,
      version: template.version,
      template: template.template,
      variables: template.variables,
      description: template.description ?? null,
      createdById: userId,
    });
  }

  private async flush(em: EntityManager, templateName: string, raced = "already exists"): Promise<void> {
    try {
      await em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        em.clear();
        throw conflict(`A prompt template named ${templateName} ${raced}`);
      }
      throw err;
    }
  }
}
