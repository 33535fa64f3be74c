/** `gcc -O2 -Wall -o OUT SOURCE`; throws with gcc's message and how to get gcc. */
export declare function compileC(source: string, out: string): string;
