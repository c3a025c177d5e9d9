import { Field, Float, ID, Int, ObjectType } from "type-graphql";

/** One source a reply drew on: `[marker]` in the reply's text points at this chunk of a knowledge-base document. */
export interface CitationData {
  marker: number;
  knowledgeBaseId: string;
  documentId: string;
  documentName: string;
  chunkId: string;
  position: number;
  snippet: string;
  score: number;
}

/**
 * A citation of a reply, stored with the message (a JSON column) and streamed as `MessageCitations` before the
 * first token.
 */
@ObjectType({ description: "A source of a reply: the `[marker]` in its text refers to this chunk." })
export class Citation implements CitationData {
  @Field(() => Int, { description: "The number that marks this source in the reply's text, as in `[1]`." })
  marker: number;

  @Field(() => ID)
  knowledgeBaseId: string;

  @Field(() => ID)
  documentId: string;

  @Field()
  documentName: string;

  @Field(() => ID)
  chunkId: string;

  @Field(() => Int, { description: "The chunk's position within its document (0 for the first)." })
  position: number;

  @Field({ description: "The text of the chunk, or the start of it." })
  snippet: string;

  @Field(() => Float, { description: "The retrieval score that ranked this chunk." })
  score: number;
}
